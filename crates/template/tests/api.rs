//! The public API and the Go behaviours matchbox templates depend on most,
//! stated as examples. The exhaustive comparison with Go is `golden.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use template::{Error, Template, Value, format_float, go_sprint, render};

/// Template data the way matchbox builds it: metadata, then `request`.
fn matchbox_data(metadata: serde_json::Value, query: &[(&str, &str)], raw_query: &str) -> Value {
    let Value::Map(mut vars) = Value::from(&metadata) else {
        panic!("metadata must be an object");
    };
    let query: BTreeMap<String, String> = query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let mut request = BTreeMap::new();
    request.insert("query".to_owned(), Value::StrMap(query));
    request.insert("raw_query".to_owned(), Value::String(raw_query.to_owned()));
    vars.insert("request".to_owned(), Value::Map(request));
    Value::Map(vars)
}

fn run(text: &str, data: &Value) -> Result<String, Error> {
    render(text, data)
}

#[test]
fn template_is_send_sync_and_shareable() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Template>();
    assert_send_sync::<Value>();
    assert_send_sync::<Error>();

    let t = Arc::new(Template::parse("{{.name}}-{{range .l}}{{.}}{{end}}").unwrap());
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let t = Arc::clone(&t);
            std::thread::spawn(move || {
                let data = Value::from(serde_json::json!({"name": format!("n{i}"), "l": [1, 2]}));
                for _ in 0..200 {
                    assert_eq!(t.execute(&data).unwrap(), format!("n{i}-12"));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn numbers_print_as_go_float64() {
    let data = Value::from(serde_json::json!({"a": 3, "b": 1.5, "c": 1000000, "d": 0.00001, "e": 123456789}));
    assert_eq!(
        run("{{.a}} {{.b}} {{.c}} {{.d}} {{.e}}", &data).unwrap(),
        "3 1.5 1e+06 1e-05 1.23456789e+08"
    );
    assert_eq!(format_float(-0.0), "-0");
    assert_eq!(format_float(1e21), "1e+21");
    assert_eq!(format_float(100000.0), "100000");
}

#[test]
fn go_sprint_shows_values_like_fmt() {
    let v = Value::from(serde_json::json!({"b": ["x", "y"], "a": 1, "n": null}));
    assert_eq!(go_sprint(&v), "map[a:1 b:[x y] n:<nil>]");
    assert_eq!(go_sprint(&Value::Null), "<nil>");
    assert_eq!(go_sprint(&Value::Int(7)), "7");
    let mut q = BTreeMap::new();
    q.insert("mac".to_owned(), "52:54:00:a1:9c:ae".to_owned());
    assert_eq!(go_sprint(&Value::StrMap(q)), "map[mac:52:54:00:a1:9c:ae]");
}

#[test]
fn missing_keys_are_errors_but_index_is_not() {
    let data = matchbox_data(
        serde_json::json!({"name": "node1", "keys": ["k1"]}),
        &[("mac", "m")],
        "mac=m",
    );
    let err = run("{{.nope}}", &data).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"template: :1:2: executing "" at <.nope>: map has no entry for key "nope""#
    );
    // Go reports a field chain at its second field (`.query`, column 13).
    let err = run("os={{.request.query.os}}", &data).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"template: :1:13: executing "" at <.request.query.os>: map has no entry for key "os""#
    );
    // The optional-value idiom: a missing key indexes to the zero value.
    assert_eq!(
        run(
            r#"{{if index . "keys"}}yes{{end}}{{if index . "nope"}}no{{end}}"#,
            &data
        )
        .unwrap(),
        "yes"
    );
    // map[string]interface{} yields nil, map[string]string yields "".
    assert_eq!(
        run(r#"{{index . "nope"}}|{{index .request.query "nope"}}|"#, &data).unwrap(),
        "<no value>||"
    );
    assert_eq!(
        run(r#"{{printf "%T %T" .request.query .}}"#, &data).unwrap(),
        "map[string]string map[string]interface {}"
    );
}

#[test]
fn null_prints_no_value_but_fmt_prints_nil() {
    let data = Value::from(serde_json::json!({"z": null}));
    assert_eq!(
        run("{{.z}} {{print .z}} {{printf \"%v\" .z}}", &data).unwrap(),
        "<no value> <nil> <nil>"
    );
}

#[test]
fn truthiness_and_short_circuit() {
    let data = Value::from(serde_json::json!({"zero": 0, "empty": "", "list": [], "map": {}, "t": true}));
    assert_eq!(
        run("{{if or .zero .empty .list .map}}T{{else}}F{{end}}", &data).unwrap(),
        "F"
    );
    // `and` stops at the first false value, so `.missing` is never evaluated.
    assert_eq!(run("{{and .zero .missing}}", &data).unwrap(), "0");
    assert_eq!(run("{{or .t .missing}}", &data).unwrap(), "true");
}

#[test]
fn float_and_int_constants_do_not_compare() {
    let data = Value::from(serde_json::json!({"n": 3}));
    let err = run("{{eq .n 3}}", &data).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("error calling eq: incompatible types for comparison"),
        "{err}"
    );
    assert_eq!(run("{{eq .n 3.0}}", &data).unwrap(), "true");
}

#[test]
fn ranges_visit_maps_in_key_order() {
    let data = Value::from(serde_json::json!({"m": {"b": 2, "a": 1, "c": 3}}));
    assert_eq!(
        run("{{range $k, $v := .m}}{{$k}}={{$v}} {{end}}", &data).unwrap(),
        "a=1 b=2 c=3 "
    );
    assert_eq!(
        run("{{range .m}}{{if eq . 2.0}}{{break}}{{end}}{{.}}{{end}}", &data).unwrap(),
        "1"
    );
}

#[test]
fn parse_errors_report_the_line() {
    let err = Template::parse("line1\n{{if .a}}\nline3").unwrap_err();
    assert_eq!(err.to_string(), "template: :3: unexpected EOF");
    assert_eq!(err.line(), 3);
    assert_eq!(err.detail(), "unexpected EOF");
    let err = Template::parse("{{nope}}").unwrap_err();
    assert_eq!(err.to_string(), r#"template: :1: function "nope" not defined"#);
}

#[test]
fn exec_errors_expose_their_parts() {
    let t = Template::parse("{{define \"t\"}}\n  {{.x.y}}{{end}}{{template \"t\" .}}").unwrap();
    let err = t.execute(&Value::from(serde_json::json!({"x": "s"}))).unwrap_err();
    // Line 2, at the byte column of `.y`: Go positions a chain at its second field.
    assert_eq!(err.location(), Some((2, 6)));
    assert_eq!(err.template_name(), "t");
    assert_eq!(err.context(), ".x.y");
    assert_eq!(err.detail(), "can't evaluate field y in type interface {}");
}

#[test]
fn execute_into_appends_and_leaves_output_alone_on_error() {
    let data = Value::from(serde_json::json!({"a": "x"}));
    let mut out = String::from("prefix:");
    Template::parse("{{.a}}")
        .unwrap()
        .execute_into(&data, &mut out)
        .unwrap();
    assert_eq!(out, "prefix:x");
    let err = Template::parse("partial {{.a}} {{.nope}}")
        .unwrap()
        .execute_into(&data, &mut out);
    assert!(err.is_err());
    assert_eq!(out, "prefix:x");
}

#[test]
fn non_utf8_output_is_exact_in_bytes() {
    let data = Value::from(serde_json::json!({"s": "é"}));
    let t = Template::parse("{{slice .s 0 1}}").unwrap();
    assert_eq!(t.execute_bytes(&data).unwrap(), vec![0xC3]);
    assert_eq!(t.execute(&data).unwrap(), "\u{FFFD}");
}

#[test]
fn defined_templates_are_listed() {
    let t = Template::parse(r#"{{define "a"}}A{{end}}{{block "b" .}}B{{end}}"#).unwrap();
    let mut names: Vec<&str> = t.defined_templates().collect();
    names.sort_unstable();
    assert_eq!(names, ["", "a", "b"]);
}

#[test]
fn printf_p_prints_an_address() {
    let data = Value::from(serde_json::json!({"m": {}, "s": "x"}));
    let out = run(r#"{{printf "%p|%p" .m .s}}"#, &data).unwrap();
    let (addr, rest) = out.split_once('|').unwrap();
    assert!(
        addr.starts_with("0x") && addr.len() > 2 && addr[2..].bytes().all(|b| b.is_ascii_hexdigit()),
        "{out}"
    );
    assert_eq!(rest, "%!p(string=x)");
}

#[test]
fn whitespace_trimming() {
    let data = Value::from(serde_json::json!({"l": ["a", "b"]}));
    let text = "keys:\n{{- range .l }}\n  - {{ . }}\n{{- end }}\n";
    assert_eq!(run(text, &data).unwrap(), "keys:\n  - a\n  - b\n");
    assert_eq!(run("{{-3}}", &data).unwrap(), "-3");
}
