//! Generates the Go structs of the oracle (`tests/oracle/v3_N/schema.go`) from this crate's own
//! field table, the `go_struct!` invocations in `src/types.rs`, and checks that the checked-in
//! files are current.
//!
//! ```text
//! cargo test -p ignition --test oracle_schema                          # check
//! KINDLING_REGENERATE=1 cargo test -p ignition --test oracle_schema    # rewrite v3_*/schema.go
//! ```
//!
//! On a mismatch the fresh files are written under the target's temp dir (the panic message
//! names it) so they can be diffed against the checked-in ones.
//!
//! # How the table becomes Go
//!
//! Every field line of the table (`pub name: RustType => "json", omit, exists::…, dec::…;`)
//! gives a Go field: the Go name is the Rust name in CamelCase, the Go type follows the Rust type
//! (`Option<String>` → `*string`, `Option<i64>` → `*int`, `Option<bool>` → `*bool`, `String` →
//! `string`, `i64` → `int`, `Vec<T>` → `[]T`, a table struct → that struct), and the tag is the
//! JSON name plus `,omitempty` when the table says `omitempty`. Struct-typed fields get no
//! `omitempty`: Go never omits a struct value, so the option would change nothing.
//!
//! The spec a file is for decides the rest, read off the table's predicate names:
//!
//! * `exists::since_3_N` drops the field below 3.N; `exists::resource_compression` keeps
//!   `compression` in 3.0 only where a resource is file contents.
//! * `dec::config_reference`, `dec::ca_reference` and `dec::file_contents` give the resource
//!   below them a role; when a struct's fields differ between roles at a spec (only `Resource`,
//!   only in 3.0) it is emitted once per role, named `<Role><Struct>`.
//! * `dec::string_before_3_3` makes the field a plain `string` without `omitempty` before 3.3,
//!   and `dec::resource_source` does the same for a 3.0 CA resource's `source`: that is what makes
//!   an absent value arrive as `""` in the next spec (see `src/translate.rs`).
//! * `dec::luks_clevis` and `dec::clevis_custom` make the field a pointer to the struct, with
//!   `omitempty`, in 3.2.
//!
//! [`OLDER_TAGS`] adds the few tag differences of older specs that the crate has no use for,
//! because it only ever encodes at 3.4 or later. An unknown Rust type or predicate name fails the
//! test, so a change to the table cannot be silently mistranslated.
//!
//! Go names are ours (Go matches JSON keys by tag, so they do not affect the output), except that
//! `../main.go` uses `Config`, `Config.Ignition` and `Ignition.Version`.

use ignition::Spec;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// (struct, JSON name, where it applies, `omitempty`).
type OlderTag = (&'static str, &'static str, fn(u32, Role) -> bool, bool);

/// Where an older spec's Go tag differed from what the rules above derive: (struct, JSON name,
/// applies at spec minor / role, `omitempty` or not). None of these changes the oracle's output:
/// a `null` or missing value decodes the same in the next spec.
const OLDER_TAGS: &[OlderTag] = &[
    ("Ignition", "version", |minor, _| minor < 4, true),
    ("Raid", "devices", |minor, _| minor < 3, false),
    (
        "Resource",
        "source",
        |minor, role| minor == 0 && role == Role::Config,
        false,
    ),
];

/// The specs the oracle has a package for (`main.go` imports `oracle/v3_0` … `oracle/v3_5`).
const ORACLE_MINORS: std::ops::RangeInclusive<u32> = 0..=5;

/// What a resource is used for; in spec 3.0 each use was its own Go type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    File,
    Config,
    Ca,
}

impl Role {
    const ALL: [Role; 3] = [Role::File, Role::Config, Role::Ca];

    fn prefix(self) -> &'static str {
        match self {
            Role::File => "File",
            Role::Config => "Config",
            Role::Ca => "Ca",
        }
    }

    fn used_for(self) -> &'static str {
        match self {
            Role::File => "file contents, appends and key files",
            Role::Config => "merged and replacing configs",
            Role::Ca => "CA certificates",
        }
    }
}

/// A Rust field type of the table.
#[derive(Debug, Clone)]
enum RustType {
    String,
    Int,
    Bool,
    Option(Box<RustType>),
    Vec(Box<RustType>),
    Struct(String),
}

#[derive(Debug)]
struct Field {
    rust_name: String,
    ty: RustType,
    json: String,
    omitempty: bool,
    exists: String,
    dec: String,
}

#[derive(Debug)]
struct Struct {
    name: String,
    fields: Vec<Field>,
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Reads the `go_struct!` invocations of `src/types.rs`, in file order.
fn read_table(source: &str) -> Vec<Struct> {
    let mut structs: Vec<Struct> = Vec::new();
    let mut in_invocation = false;
    let mut current: Option<Struct> = None;
    for line in source.lines().map(str::trim) {
        if line == "go_struct! {" {
            in_invocation = true;
            continue;
        }
        if !in_invocation || line.starts_with("///") || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("pub struct ") {
            let name = rest
                .strip_suffix(" {")
                .unwrap_or_else(|| panic!("unexpected struct line: {line}"));
            current = Some(Struct {
                name: name.to_owned(),
                fields: Vec::new(),
            });
        } else if line == "}" {
            match current.take() {
                Some(s) => structs.push(s),
                None => in_invocation = false,
            }
        } else if let Some(s) = current.as_mut() {
            s.fields.push(parse_field(line));
        } else {
            panic!("unexpected line in a go_struct! invocation: {line}");
        }
    }
    assert!(
        current.is_none() && !in_invocation,
        "unterminated go_struct! in src/types.rs"
    );
    structs
}

/// `pub name: Type => "json", omitempty|always, exists::x, dec::y;`
fn parse_field(line: &str) -> Field {
    fn fail(line: &str) -> ! {
        panic!("unexpected field line in src/types.rs: {line}")
    }
    let rest = line.strip_prefix("pub ").unwrap_or_else(|| fail(line));
    let (rust_name, rest) = rest.split_once(':').unwrap_or_else(|| fail(line));
    let (ty, rest) = rest.split_once("=>").unwrap_or_else(|| fail(line));
    let rest = rest.trim().strip_suffix(';').unwrap_or_else(|| fail(line));
    let parts: Vec<&str> = rest.split(',').map(str::trim).collect();
    let [json, omit, exists, dec] = parts[..] else {
        fail(line)
    };
    let json = json
        .strip_prefix('"')
        .and_then(|j| j.strip_suffix('"'))
        .unwrap_or_else(|| fail(line));
    let omitempty = match omit {
        "omitempty" => true,
        "always" => false,
        _ => fail(line),
    };
    Field {
        rust_name: rust_name.trim().to_owned(),
        ty: parse_type(ty.trim()),
        json: json.to_owned(),
        omitempty,
        exists: exists.to_owned(),
        dec: dec.to_owned(),
    }
}

fn parse_type(ty: &str) -> RustType {
    if let Some(inner) = ty.strip_prefix("Option<").and_then(|t| t.strip_suffix('>')) {
        return RustType::Option(Box::new(parse_type(inner)));
    }
    if let Some(inner) = ty.strip_prefix("Vec<").and_then(|t| t.strip_suffix('>')) {
        return RustType::Vec(Box::new(parse_type(inner)));
    }
    match ty {
        "String" => RustType::String,
        "i64" => RustType::Int,
        "bool" => RustType::Bool,
        _ if !ty.is_empty() && ty.chars().all(|c| c.is_ascii_alphanumeric()) && ty.starts_with(char::is_uppercase) => {
            RustType::Struct(ty.to_owned())
        }
        _ => panic!("the oracle generator does not know the Rust type `{ty}`"),
    }
}

/// Whether the field exists at spec 3.`minor` for a resource in `role`.
fn exists(field: &Field, minor: u32, role: Role) -> bool {
    if let Some(since) = field.exists.strip_prefix("exists::since_3_") {
        return minor >= since.parse::<u32>().unwrap();
    }
    match field.exists.as_str() {
        "exists::always" => true,
        "exists::resource_compression" => minor >= 1 || role == Role::File,
        other => panic!("the oracle generator does not know the predicate `{other}`"),
    }
}

/// A Go field type, before struct names are resolved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum GoType {
    String,
    Int,
    Bool,
    Pointer(Box<GoType>),
    Slice(Box<GoType>),
    Struct(String, Role),
}

/// One field of a Go struct at a spec: Go name, Go type, JSON name and `omitempty`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GoField {
    name: String,
    ty: GoType,
    json: String,
    omitempty: bool,
}

fn go_type(ty: &RustType, role: Role) -> GoType {
    match ty {
        RustType::String => GoType::String,
        RustType::Int => GoType::Int,
        RustType::Bool => GoType::Bool,
        RustType::Option(inner) => GoType::Pointer(Box::new(go_type(inner, role))),
        RustType::Vec(inner) => GoType::Slice(Box::new(go_type(inner, role))),
        RustType::Struct(name) => GoType::Struct(name.clone(), role),
    }
}

fn camel_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The Go fields of `s` at spec 3.`minor` in `role`, in table order.
fn go_fields(s: &Struct, minor: u32, role: Role) -> Vec<GoField> {
    let mut out = Vec::new();
    for field in &s.fields {
        if !exists(field, minor, role) {
            continue;
        }
        let role = match field.dec.as_str() {
            "dec::config_reference" => Role::Config,
            "dec::ca_reference" => Role::Ca,
            "dec::file_contents" => Role::File,
            _ => role,
        };
        let mut ty = go_type(&field.ty, role);
        let mut omitempty = field.omitempty && !matches!(ty, GoType::Struct(..));
        let plain_string = match field.dec.as_str() {
            "dec::value" | "dec::config_reference" | "dec::ca_reference" | "dec::file_contents" => false,
            "dec::string_before_3_3" => minor < 3,
            "dec::resource_source" => minor == 0 && role == Role::Ca,
            "dec::luks_clevis" | "dec::clevis_custom" => {
                if minor == 2 {
                    ty = GoType::Pointer(Box::new(ty));
                    omitempty = true;
                }
                false
            }
            other => panic!("the oracle generator does not know the decoder `{other}`"),
        };
        if plain_string {
            assert!(
                matches!(ty, GoType::Pointer(ref t) if **t == GoType::String),
                "{}.{}",
                s.name,
                field.json
            );
            ty = GoType::String;
            omitempty = false;
        }
        for &(name, json, applies, older) in OLDER_TAGS {
            if name == s.name && json == field.json && applies(minor, role) {
                omitempty = older;
            }
        }
        out.push(GoField {
            name: camel_case(&field.rust_name),
            ty,
            json: field.json.clone(),
            omitempty,
        });
    }
    out
}

/// The Go code of one spec's package.
fn generate(table: &[Struct], minor: u32) -> String {
    let by_name: BTreeMap<&str, &Struct> = table.iter().map(|s| (s.name.as_str(), s)).collect();

    // Every (struct, role) reachable from Config, with its fields.
    let mut shapes: BTreeMap<(String, Role), Vec<GoField>> = BTreeMap::new();
    let mut todo = vec![("Config".to_owned(), Role::File)];
    while let Some(key) = todo.pop() {
        if shapes.contains_key(&key) {
            continue;
        }
        let s = by_name
            .get(key.0.as_str())
            .unwrap_or_else(|| panic!("no struct {} in the table", key.0));
        let fields = go_fields(s, minor, key.1);
        for field in &fields {
            let mut ty = &field.ty;
            while let GoType::Pointer(inner) | GoType::Slice(inner) = ty {
                ty = inner;
            }
            if let GoType::Struct(name, role) = ty {
                todo.push((name.clone(), *role));
            }
        }
        shapes.insert(key, fields);
    }

    // A struct is one Go type unless its roles disagree (fields or nested types).
    let mut names: BTreeMap<(String, Role), String> = BTreeMap::new();
    resolve_names(&shapes, &mut names);

    let version = Spec::ALL[minor as usize].version();
    let mut go = String::new();
    writeln!(
        go,
        "// Code generated by crates/ignition/tests/oracle/schema_gen.rs from crates/ignition/src/types.rs. DO NOT EDIT."
    )
    .unwrap();
    go.push('\n');
    writeln!(
        go,
        "// Package v3_{minor} is the ignition crate's field table at spec {version}, as Go structs"
    )
    .unwrap();
    writeln!(go, "// for the encoding/json oracle in ../main.go. Regenerate with").unwrap();
    writeln!(go, "//").unwrap();
    writeln!(
        go,
        "//\tKINDLING_REGENERATE=1 cargo test -p ignition --test oracle_schema"
    )
    .unwrap();
    writeln!(go, "package v3_{minor}").unwrap();

    let mut emitted = std::collections::BTreeSet::new();
    for s in table {
        for role in Role::ALL {
            let key = (s.name.clone(), role);
            let Some(fields) = shapes.get(&key) else { continue };
            let name = &names[&key];
            if !emitted.insert(name.clone()) {
                continue;
            }
            go.push('\n');
            if *name == s.name {
                writeln!(go, "// {name} is types::{} at spec {version}.", s.name).unwrap();
            } else {
                writeln!(
                    go,
                    "// {name} is types::{} used for {} at spec {version}.",
                    s.name,
                    role.used_for()
                )
                .unwrap();
            }
            write_struct(&mut go, name, fields, &names);
        }
    }
    go
}

fn resolve_names(shapes: &BTreeMap<(String, Role), Vec<GoField>>, names: &mut BTreeMap<(String, Role), String>) {
    // Children first: a shape is compared with its nested types already named.
    fn name_of(
        key: &(String, Role),
        shapes: &BTreeMap<(String, Role), Vec<GoField>>,
        names: &mut BTreeMap<(String, Role), String>,
    ) -> String {
        if let Some(name) = names.get(key) {
            return name.clone();
        }
        let resolved = |key: &(String, Role), names: &mut BTreeMap<(String, Role), String>| -> Vec<String> {
            shapes[key]
                .iter()
                .map(|f| {
                    format!(
                        "{} {} {}",
                        f.name,
                        render_type(&f.ty, &mut |k| name_of(k, shapes, names)),
                        tag(f)
                    )
                })
                .collect()
        };
        let mine = resolved(key, names);
        let roles: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| shapes.contains_key(&(key.0.clone(), *r)))
            .collect();
        let mut all_same = true;
        for role in &roles {
            if *role != key.1 && resolved(&(key.0.clone(), *role), names) != mine {
                all_same = false;
            }
        }
        let name = if all_same {
            key.0.clone()
        } else {
            format!("{}{}", key.1.prefix(), key.0)
        };
        names.insert(key.clone(), name.clone());
        name
    }
    for key in shapes.keys() {
        name_of(key, shapes, names);
    }
}

fn render_type(ty: &GoType, struct_name: &mut dyn FnMut(&(String, Role)) -> String) -> String {
    match ty {
        GoType::String => "string".to_owned(),
        GoType::Int => "int".to_owned(),
        GoType::Bool => "bool".to_owned(),
        GoType::Pointer(inner) => format!("*{}", render_type(inner, struct_name)),
        GoType::Slice(inner) => format!("[]{}", render_type(inner, struct_name)),
        GoType::Struct(name, role) => struct_name(&(name.clone(), *role)),
    }
}

fn tag(field: &GoField) -> String {
    let omit = if field.omitempty { ",omitempty" } else { "" };
    format!("`json:\"{}{omit}\"`", field.json)
}

/// Writes a struct type the way gofmt lays it out (names, types and tags in aligned columns).
fn write_struct(go: &mut String, name: &str, fields: &[GoField], names: &BTreeMap<(String, Role), String>) {
    let rows: Vec<[String; 3]> = fields
        .iter()
        .map(|f| [f.name.clone(), render_type(&f.ty, &mut |k| names[k].clone()), tag(f)])
        .collect();
    let width = |col: usize| rows.iter().map(|r| r[col].len()).max().unwrap_or(0);
    let (name_width, type_width) = (width(0), width(1));
    writeln!(go, "type {name} struct {{").unwrap();
    for [field, ty, tag] in &rows {
        writeln!(go, "\t{field:name_width$} {ty:type_width$} {tag}").unwrap();
    }
    writeln!(go, "}}").unwrap();
}

#[test]
fn oracle_schemas_match_the_field_table() {
    let source = std::fs::read_to_string(crate_dir().join("src/types.rs")).unwrap();
    let table = read_table(&source);
    assert!(table.iter().any(|s| s.name == "Config"), "no Config in src/types.rs");
    let oracle = crate_dir().join("tests/oracle");
    let regenerate = std::env::var_os("KINDLING_REGENERATE").is_some_and(|v| v == "1");
    let fresh_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("oracle-schema");
    let mut stale = Vec::new();
    for minor in ORACLE_MINORS {
        let go = generate(&table, minor);
        let rel = format!("v3_{minor}/schema.go");
        let path = oracle.join(&rel);
        if regenerate {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &go).unwrap();
            continue;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != go {
            let fresh = fresh_dir.join(&rel);
            std::fs::create_dir_all(fresh.parent().unwrap()).unwrap();
            std::fs::write(&fresh, &go).unwrap();
            stale.push(rel);
        }
    }
    assert!(
        stale.is_empty(),
        "tests/oracle/{{{}}} differ from what src/types.rs generates (fresh copies in {}); \
         run `KINDLING_REGENERATE=1 cargo test -p ignition --test oracle_schema`, then \
         tests/oracle/regenerate.sh, and review the goldens",
        stale.join(","),
        fresh_dir.display()
    );
}

#[test]
fn table_parses_every_struct_the_config_reaches() {
    let source = std::fs::read_to_string(crate_dir().join("src/types.rs")).unwrap();
    let table = read_table(&source);
    // Spec 3.5 reaches every struct of the table except the version stub.
    let go = generate(&table, 5);
    for s in &table {
        if s.name != "VersionStub" && s.name != "StubIgnition" {
            assert!(
                go.contains(&format!("\ntype {} struct {{\n", s.name)),
                "{} missing at 3.5",
                s.name
            );
        }
    }
}
