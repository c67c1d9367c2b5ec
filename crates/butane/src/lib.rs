//! Butane configs translated to Ignition, as the `butane` tool does for the
//! variants matchbox users write: `fcos` 1.0.0 to 1.6.0 and `flatcar` 1.0.0
//! to 1.1.0.
//!
//! The YAML is read as Go's yaml.v3 reads it ([`yaml`]); the walk
//! ([`translate`]) follows one schema table ([`schema`]) that names each
//! Butane key, the Ignition field it becomes and the first spec that has it;
//! `inline` contents become data URLs chosen as butane chooses them
//! ([`dataurl`]); `with_mount_unit` generates butane's mount units
//! ([`units`]). The result is then parsed and validated by the `ignition`
//! crate at its spec, so what comes out is valid Ignition of the announced
//! version.
//!
//! Unlike butane (which warns about unknown keys and goes on), every key
//! that is unknown, not in the config's version, or Butane sugar kindling
//! does not translate (`local` files, `storage.trees`, `boot_device`,
//! `grub`) is an error naming its path and line: nothing is dropped
//! silently. All errors are reported at once.
//!
//! Pure: no I/O, no clock; malformed input never panics.

mod dataurl;
mod schema;
mod translate;
mod units;
pub mod yaml;

use serde_json::{Map, Value};

/// A Butane variant kindling translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Fcos,
    Flatcar,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::Fcos => "fcos",
            Variant::Flatcar => "flatcar",
        }
    }

    /// The Ignition spec minor version (3.N) of each supported version.
    const VERSIONS: &'static [(Variant, &'static str, u8)] = &[
        (Variant::Fcos, "1.0.0", 0),
        (Variant::Fcos, "1.1.0", 1),
        (Variant::Fcos, "1.2.0", 2),
        (Variant::Fcos, "1.3.0", 2),
        (Variant::Fcos, "1.4.0", 3),
        (Variant::Fcos, "1.5.0", 4),
        (Variant::Fcos, "1.6.0", 5),
        (Variant::Flatcar, "1.0.0", 3),
        (Variant::Flatcar, "1.1.0", 4),
    ];

    /// "fcos 1.4.0 or newer" for a field first in spec 3.`minor`.
    fn first_with(variant: Variant, minor: u8) -> String {
        Variant::VERSIONS
            .iter()
            .find(|(v, _, m)| *v == variant && *m >= minor)
            .map(|(v, version, _)| format!("{} {version} or newer", v.name()))
            .unwrap_or_else(|| format!("a {} version newer than kindling supports", variant.name()))
    }

    fn supported() -> String {
        let list = |v: Variant| -> Vec<&str> {
            Variant::VERSIONS
                .iter()
                .filter(|(x, _, _)| *x == v)
                .map(|(_, version, _)| *version)
                .collect()
        };
        format!(
            "fcos {} and flatcar {}",
            list(Variant::Fcos).join(", "),
            list(Variant::Flatcar).join(", ")
        )
    }
}

/// One problem, at a Butane path (`storage.files.0.mode`) and YAML position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "(top level)"
        } else {
            &self.path
        };
        write!(f, "{path} (line {}, column {}): {}", self.line, self.col, self.message)
    }
}

/// Why a Butane config was not translated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("not valid YAML: {0}")]
    Yaml(#[from] yaml::YamlError),
    /// Every problem found, in document order.
    #[error("{}", join_errors(.0))]
    Fields(Vec<FieldError>),
}

fn join_errors(errors: &[FieldError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl Error {
    /// The field errors (empty for a YAML syntax error).
    pub fn fields(&self) -> &[FieldError] {
        match self {
            Error::Fields(f) => f,
            Error::Yaml(_) => &[],
        }
    }
}

/// A translated config.
#[derive(Debug, Clone)]
pub struct Translated {
    pub variant: Variant,
    /// The Butane version (`"1.5.0"`).
    pub version: &'static str,
    /// The Ignition spec it translates to (`"3.4.0"`).
    pub spec: ignition::Spec,
    /// The Ignition config as JSON (butane's output, before any re-serialization).
    pub json: Vec<u8>,
    /// The same config as the `ignition` crate parsed and validated it.
    pub config: ignition::AnyConfig,
}

/// Translates a Butane config.
pub fn translate(text: &str) -> Result<Translated, Error> {
    let doc = yaml::parse(text)?;
    let field = |path: &str, node: &yaml::Node, message: String| FieldError {
        path: path.into(),
        line: node.line,
        col: node.col,
        message,
    };
    let yaml::Kind::Map(entries) = &doc.kind else {
        return Err(Error::Fields(vec![field(
            "",
            &doc,
            format!(
                "a Butane config is a mapping with variant and version, found {}",
                doc.describe()
            ),
        )]));
    };
    let get = |k: &str| entries.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    let scalar = |k: &str| match get(k).map(|n| &n.kind) {
        Some(yaml::Kind::Scalar(s)) if !s.is_null() => Some(s.text.clone()),
        _ => None,
    };
    let (variant_text, version_text) = (scalar("variant"), scalar("version"));
    let Some(variant_text) = variant_text else {
        return Err(Error::Fields(vec![field(
            "variant",
            &doc,
            format!(
                "error parsing variant; must be specified (kindling translates {})",
                Variant::supported()
            ),
        )]));
    };
    let variant = match variant_text.as_str() {
        "fcos" => Variant::Fcos,
        "flatcar" => Variant::Flatcar,
        other => {
            return Err(Error::Fields(vec![field(
                "variant",
                get("variant").unwrap_or(&doc),
                format!(
                    "unsupported config variant {other:?}; kindling translates {}",
                    Variant::supported()
                ),
            )]));
        }
    };
    let Some(version_text) = version_text else {
        return Err(Error::Fields(vec![field(
            "version",
            &doc,
            "error parsing version; must be specified".into(),
        )]));
    };
    let Some(&(_, version, minor)) = Variant::VERSIONS
        .iter()
        .find(|(v, ver, _)| *v == variant && *ver == version_text)
    else {
        return Err(Error::Fields(vec![field(
            "version",
            get("version").unwrap_or(&doc),
            format!(
                "unsupported config version {version_text:?} for variant {}; kindling translates {}",
                variant.name(),
                Variant::supported()
            ),
        )]));
    };
    // Spec::ALL is ordered 3.0, 3.1, …: the static VERSIONS table only holds minors it has.
    let spec = ignition::Spec::ALL[usize::from(minor)];

    let mut walker = translate::Walker {
        minor,
        variant,
        errors: Vec::new(),
        mount_units: Vec::new(),
    };
    let mut root = walker.object(&doc, schema::ROOT, "").unwrap_or_default();
    if !walker.mount_units.is_empty() {
        let luks = root
            .get("storage")
            .and_then(|s| s.get("luks"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let generated = walker
            .mount_units
            .iter()
            .map(|m| units::mount_unit(m, units::is_remote(&m.device, &luks)))
            .collect();
        add_units(&mut root, generated);
    }
    if variant == Variant::Flatcar
        && let Some(luks) = root
            .get("storage")
            .and_then(|s| s.get("luks"))
            .and_then(Value::as_array)
    {
        for (i, l) in luks.iter().enumerate() {
            if l.get("clevis").is_some() {
                walker.errors.push(FieldError {
                    path: format!("storage.luks.{i}.clevis"),
                    line: 0,
                    col: 0,
                    message: "clevis is not supported in this spec version (flatcar)".into(),
                });
            }
        }
    }
    if !walker.errors.is_empty() {
        return Err(Error::Fields(walker.errors));
    }
    let ign = root.entry("ignition").or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(o) = ign {
        o.insert("version".into(), Value::String(spec.version().into()));
    }
    let json = serde_json::to_vec(&Value::Object(root)).unwrap_or_default();
    // The output must be valid Ignition of that spec: the same checks Ignition runs.
    let parsed = match ignition::parse_native(&json) {
        Ok(parsed) => parsed,
        Err(e) => {
            let errors = match e.report() {
                Some(report) => report
                    .errors()
                    .map(|entry| FieldError {
                        path: butane_path(&entry.path),
                        line: 0,
                        col: 0,
                        message: entry.issue.to_string(),
                    })
                    .collect(),
                None => vec![FieldError {
                    path: String::new(),
                    line: 0,
                    col: 0,
                    message: e.to_string(),
                }],
            };
            return Err(Error::Fields(errors));
        }
    };
    Ok(Translated {
        variant,
        version,
        spec,
        json,
        config: parsed.config,
    })
}

/// Generated units first, the config's own merged into them (butane's order).
fn add_units(root: &mut Map<String, Value>, generated: Vec<Value>) {
    let systemd = root.entry("systemd").or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(systemd) = systemd else { return };
    let user = match systemd.remove("units") {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    systemd.insert("units".into(), Value::Array(units::merge_units(generated, user)));
}

/// An Ignition JSON path spelled with Butane's keys.
fn butane_path(path: &ignition::JsonPath) -> String {
    path.0
        .iter()
        .map(|seg| match seg {
            ignition::PathSegment::Key(k) => schema::butane_key(k).to_owned(),
            ignition::PathSegment::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}
