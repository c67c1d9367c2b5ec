//! The walk from the YAML tree to Ignition JSON, driven by [`crate::schema`].

use serde_json::{Map, Value};

use crate::dataurl;
use crate::schema::{self, Field, Ty};
use crate::yaml::{Kind, Node, Scalar};
use crate::{FieldError, Variant};

pub struct Walker {
    /// Ignition spec minor version (3.N) of the output.
    pub minor: u8,
    pub variant: Variant,
    pub errors: Vec<FieldError>,
    /// Filesystems with `with_mount_unit: true`, in order.
    pub mount_units: Vec<crate::units::MountRequest>,
}

impl Walker {
    pub fn error(&mut self, path: &str, node: &Node, message: impl Into<String>) {
        self.errors.push(FieldError {
            path: path.to_owned(),
            line: node.line,
            col: node.col,
            message: message.into(),
        });
    }

    /// A mapping read against `fields`; `None` for null (an absent section).
    pub fn object(&mut self, node: &Node, fields: &'static [Field], path: &str) -> Option<Map<String, Value>> {
        let entries = match &node.kind {
            Kind::Map(entries) => entries,
            _ if node.is_null() => return None,
            _ => {
                self.error(path, node, format!("expected a mapping, found {}", node.describe()));
                return None;
            }
        };
        let mut out = Map::new();
        let mut with_mount_unit = false;
        for (key, value) in entries {
            let here = join(path, key);
            let Some(field) = fields.iter().find(|f| f.key == key && self.variant_has(f)) else {
                let allowed: Vec<&str> = fields.iter().filter(|f| self.available(f)).map(|f| f.key).collect();
                self.error(
                    &here,
                    value,
                    format!("unknown key {key:?}; allowed here: {}", allowed.join(", ")),
                );
                continue;
            };
            if !self.available(field) {
                self.error(
                    &here,
                    value,
                    format!(
                        "{key:?} is not in {} (Ignition spec 3.{}): it needs {}",
                        self.variant.name(),
                        self.minor,
                        Variant::first_with(self.variant, field.since)
                    ),
                );
                continue;
            }
            if value.is_null() {
                continue;
            }
            match (field.key, field.ty) {
                ("variant" | "version", _) if path.is_empty() => continue,
                ("with_mount_unit", _) => {
                    with_mount_unit = self.boolean(value, &here).unwrap_or(false);
                    continue;
                }
                (_, Ty::Unsupported(advice)) => {
                    self.error(&here, value, advice);
                    continue;
                }
                _ => {}
            }
            if let Some(v) = self.value(value, field.ty, &here, key)
                && !field.ign.is_empty()
            {
                out.insert(field.ign.to_owned(), v);
            }
        }
        if with_mount_unit {
            self.mount_unit(&out, node, path);
        }
        Some(out)
    }

    fn available(&self, field: &Field) -> bool {
        field.since <= self.minor && self.variant_has(field)
    }

    /// boot_device and grub are fcos sugar: other variants do not know them.
    fn variant_has(&self, field: &Field) -> bool {
        !(matches!(field.key, "boot_device" | "grub") && self.variant != Variant::Fcos)
    }

    fn value(&mut self, node: &Node, ty: Ty, path: &str, key: &str) -> Option<Value> {
        match ty {
            Ty::Str => self.string(node, path).map(Value::String),
            Ty::Int => self.int(node, path).map(Value::from),
            Ty::Bool => self.boolean(node, path).map(Value::Bool),
            Ty::StrList => self.list(node, path, |w, item, p| w.string(item, p).map(Value::String)),
            Ty::Obj(fields) => self.object(node, fields, path).map(Value::Object),
            Ty::List(fields) => self.list(node, path, |w, item, p| w.object(item, fields, p).map(Value::Object)),
            Ty::Resource => self.resource(node, path).map(Value::Object),
            Ty::ResourceList => self.list(node, path, |w, item, p| w.resource(item, p).map(Value::Object)),
            Ty::Ref => self.reference(node, path).map(Value::Object),
            Ty::RefList => self.list(node, path, |w, item, p| w.reference(item, p).map(Value::Object)),
            Ty::Unsupported(advice) => {
                self.error(path, node, format!("{key}: {advice}"));
                None
            }
        }
    }

    fn scalar<'n>(&mut self, node: &'n Node, path: &str, what: &str) -> Option<&'n Scalar> {
        match &node.kind {
            Kind::Scalar(s) => Some(s),
            _ => {
                self.error(path, node, format!("expected {what}, found {}", node.describe()));
                None
            }
        }
    }

    pub fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        self.scalar(node, path, "a string").map(|s| s.as_str().to_owned())
    }

    fn int(&mut self, node: &Node, path: &str) -> Option<i64> {
        let s = self.scalar(node, path, "an integer")?;
        match s.as_int() {
            Some(i) => Some(i),
            None => {
                self.error(path, node, format!("expected an integer, found {:?}", s.text));
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        let s = self.scalar(node, path, "true or false")?;
        match s.as_bool() {
            Some(b) => Some(b),
            None => {
                self.error(path, node, format!("expected true or false, found {:?}", s.text));
                None
            }
        }
    }

    fn list(
        &mut self,
        node: &Node,
        path: &str,
        mut item: impl FnMut(&mut Walker, &Node, &str) -> Option<Value>,
    ) -> Option<Value> {
        let items = match &node.kind {
            Kind::Seq(items) => items,
            _ => {
                self.error(path, node, format!("expected a list, found {}", node.describe()));
                return None;
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            let p = format!("{path}.{i}");
            // A null entry decodes to the zero value in Go.
            if it.is_null() {
                out.push(Value::Object(Map::new()));
                continue;
            }
            if let Some(v) = item(self, it, &p) {
                out.push(v);
            }
        }
        Some(Value::Array(out))
    }

    /// Config merge/replace and TLS CAs: in fcos 1.0 only `source` and
    /// `verification`; later a full resource.
    fn reference(&mut self, node: &Node, path: &str) -> Option<Map<String, Value>> {
        if self.minor == 0
            && let Kind::Map(entries) = &node.kind
        {
            let extra: Vec<&(String, Node)> = entries
                .iter()
                .filter(|(key, _)| !schema::CONFIG_REFERENCE_V0.contains(&key.as_str()))
                .collect();
            for (key, value) in extra {
                self.error(
                    &join(path, key),
                    value,
                    format!("{key:?} is not in fcos 1.0.0 config references: it needs fcos 1.1.0 or newer; allowed here: source, verification"),
                );
            }
        }
        self.resource(node, path)
    }

    /// A Butane resource: `inline` and `local` become a data URL in
    /// `source`, as butane's MakeDataURL does (the shortest of the escaped,
    /// base64 and gzipped forms; `compression` set explicitly).
    fn resource(&mut self, node: &Node, path: &str) -> Option<Map<String, Value>> {
        let mut out = self.object(node, schema::RESOURCE, path)?;
        let Kind::Map(entries) = &node.kind else {
            return Some(out);
        };
        let given = |k: &str| entries.iter().find(|(key, v)| key == k && !v.is_null()).map(|(_, v)| v);
        // butane reports the last one set, checked in this order.
        let set: Vec<(&str, &Node)> = ["local", "inline", "source"]
            .into_iter()
            .filter_map(|k| given(k).map(|n| (k, n)))
            .collect();
        if let [.., _, (key, at)] = set.as_slice() {
            self.error(
                &join(path, key),
                at,
                "only one of the following can be set: inline, local, source",
            );
            return Some(out);
        }
        if let Some(local) = given("local") {
            self.error(&join(path, "local"), local, schema::LOCAL_ADVICE);
            return Some(out);
        }
        if let Some(inline) = given("inline") {
            let Some(text) = self.string(inline, &join(path, "inline")) else {
                return Some(out);
            };
            if self.minor == 0 {
                // fcos 1.0 (base v0_1): always escaped, compression untouched.
                let url = format!("data:,{}", dataurl::escape(text.as_bytes()));
                out.insert("source".into(), Value::String(url));
                return Some(out);
            }
            let current = out.get("compression").and_then(Value::as_str).map(str::to_owned);
            let (url, compression) = dataurl::make(text.as_bytes(), current.as_deref());
            out.insert("source".into(), Value::String(url));
            if let Some(c) = compression {
                out.insert("compression".into(), Value::String(c.into()));
            }
        }
        Some(out)
    }

    /// `with_mount_unit: true`: checked as butane does; the unit is made
    /// once the whole config is read (a Tang-unlocked LUKS device makes it remote).
    fn mount_unit(&mut self, fs: &Map<String, Value>, node: &Node, path: &str) {
        let m = crate::units::MountRequest::from_filesystem(fs);
        if m.format.is_empty() {
            self.error(
                &join(path, "format"),
                node,
                "format is required if with_mount_unit is true",
            );
        } else if m.format == "swap" && self.minor < 3 {
            self.error(
                &join(path, "format"),
                node,
                format!("swap units need {}", Variant::first_with(self.variant, 3)),
            );
        } else if m.format != "swap" && m.path.is_empty() {
            self.error(
                &join(path, "path"),
                node,
                "path is required if with_mount_unit is true and format is not swap",
            );
        } else {
            self.mount_units.push(m);
        }
    }
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}
