//! Replays the golden cases recorded from Go's own `text/template` (see
//! `tests/oracle/`) and checks that this engine produces the same bytes, or
//! fails where Go fails with the same message.
//!
//! The cases are data built exactly as matchbox builds template data; the Go
//! toolchain is only needed to regenerate them, never to run this test.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value as Json;
use template::{Template, Value};

/// Where this engine differs from Go on purpose: (reason, text in Go's
/// message, our text). Cases hitting one must still fail the same way at the
/// same node; only that part of the message may differ.
const DELIBERATE_DIFFERENCES: &[(&str, &str, &str)] = &[(
    "execution depth is capped at 300, not Go's 100000, to stay within a thread stack",
    "maximum template depth (100000)",
    "maximum template depth (300)",
)];

/// The committed golden file, or another one produced by the oracle (for
/// example from generated templates) named by `TEMPLATE_GOLDEN`.
fn golden_path() -> std::path::PathBuf {
    match std::env::var_os("TEMPLATE_GOLDEN") {
        Some(p) => p.into(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/cases.json"),
    }
}

fn request(req: &Json) -> Value {
    let query: BTreeMap<String, String> = req["query"]
        .as_object()
        .expect("request.query is an object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("query values are strings").to_owned()))
        .collect();
    let mut m = BTreeMap::new();
    m.insert("query".to_owned(), Value::StrMap(query));
    m.insert(
        "raw_query".to_owned(),
        Value::String(req["raw_query"].as_str().expect("raw_query is a string").to_owned()),
    );
    Value::Map(m)
}

/// Builds the data the way matchbox does: the metadata object, then `request`.
fn case_data(file: &Json, case: &Json) -> Value {
    let data = match case.get("dataset").and_then(Json::as_str) {
        Some(name) => &file["datasets"][name],
        None => &case["data"],
    };
    if case.get("raw").and_then(Json::as_bool) == Some(true) {
        return Value::from(data);
    }
    let Value::Map(mut m) = Value::from(data) else {
        panic!("case {}: metadata is not an object", case["name"]);
    };
    let req = case.get("request").unwrap_or(&file["default_request"]);
    m.insert("request".to_owned(), request(req));
    Value::Map(m)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn golden_cases_match_go() {
    let text = std::fs::read_to_string(golden_path()).expect("read golden file");
    let file: Json = serde_json::from_str(&text).expect("parse golden file");
    let cases = file["cases"].as_array().expect("cases array");
    assert!(
        cases.len() >= 300,
        "expected at least 300 golden cases, found {}",
        cases.len()
    );

    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let tmpl_text = case["template"].as_str().expect("template text");
        let data = case_data(&file, case);
        let got: Result<Vec<u8>, (String, String)> = match Template::parse(tmpl_text) {
            Err(e) => Err(("parse".to_owned(), e.to_string())),
            Ok(t) => t.execute_bytes(&data).map_err(|e| ("exec".to_owned(), e.to_string())),
        };
        let want_kind = case.get("error_kind").and_then(Json::as_str);
        match (want_kind, &got) {
            (None, Ok(out)) => {
                let matches = match (case.get("output").and_then(Json::as_str), case.get("output_hex")) {
                    (Some(want), _) => out == want.as_bytes(),
                    (None, Some(h)) => hex(out) == h.as_str().unwrap_or_default(),
                    (None, None) => false,
                };
                if !matches {
                    failures.push(format!(
                        "{name}: output differs\n  template: {tmpl_text:?}\n  want: {:?}\n  got:  {:?}",
                        case.get("output").or(case.get("output_hex")).unwrap_or(&Json::Null),
                        String::from_utf8_lossy(out)
                    ));
                }
            }
            (Some(kind), Err((got_kind, msg))) => {
                let mut want_msg = case["error"].as_str().unwrap_or_default().to_owned();
                for (_, go_text, our_text) in DELIBERATE_DIFFERENCES {
                    want_msg = want_msg.replace(go_text, our_text);
                }
                if kind != got_kind || want_msg != *msg {
                    failures.push(format!(
                        "{name}: error differs\n  template: {tmpl_text:?}\n  want: {kind}: {want_msg}\n  got:  {got_kind}: {msg}"
                    ));
                }
            }
            (Some(kind), Ok(out)) => failures.push(format!(
                "{name}: Go fails ({kind}: {}) but we succeeded\n  template: {tmpl_text:?}\n  got: {:?}",
                case["error"].as_str().unwrap_or_default(),
                String::from_utf8_lossy(out)
            )),
            (None, Err((kind, msg))) => failures.push(format!(
                "{name}: Go succeeds ({:?}) but we failed\n  template: {tmpl_text:?}\n  got: {kind}: {msg}",
                case.get("output").unwrap_or(&Json::Null)
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden cases differ from Go:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
