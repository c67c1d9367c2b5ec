//! Hostile and malformed templates must produce an error, never a panic, a
//! stack overflow or a hang. Random bytes and random sequences of template
//! fragments are parsed and executed; deep nesting is checked on a thread
//! with the 2 MiB stack a tokio worker gets.

use std::collections::BTreeMap;

use proptest::prelude::*;
use template::{Template, Value};

fn data() -> Value {
    let mut query = BTreeMap::new();
    query.insert("mac".to_owned(), "52:54:00:a1:9c:ae".to_owned());
    let mut request = BTreeMap::new();
    request.insert("query".to_owned(), Value::StrMap(query));
    request.insert(
        "raw_query".to_owned(),
        Value::String("mac=52-54-00-a1-9c-ae".to_owned()),
    );
    let Value::Map(mut m) = Value::from(serde_json::json!({
        "a": "x", "n": 1000000, "f": 1.5, "t": true, "z": null,
        "list": ["a", "b", null, 2], "m": {"k": "v", "l": [1, 2]}, "e": []
    })) else {
        unreachable!()
    };
    m.insert("request".to_owned(), Value::Map(request));
    Value::Map(m)
}

/// Parses and, if that succeeds, executes; either may fail, neither may panic.
fn exercise(text: &str, data: &Value) {
    if let Ok(t) = Template::parse(text) {
        let _ = t.execute(data);
        let _ = t.execute(&Value::Null);
    }
}

const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "{{/*",
    "*/}}",
    "if ",
    "else ",
    "end",
    "range ",
    "with ",
    "define ",
    "template ",
    "block ",
    "break",
    "continue",
    ".",
    ".a",
    ".list",
    ".m.k",
    ".z",
    ".request.query.mac",
    "$",
    "$x",
    "$y",
    ":=",
    "=",
    "|",
    "(",
    ")",
    "\"s\"",
    "\"%v\"",
    "\"%5.2f\"",
    "\"%[2]*[1]d\"",
    "\"%x\"",
    "`raw`",
    "'c'",
    "'\\n'",
    "1",
    "-1",
    "0",
    "1.5",
    "1e3",
    "0x1F",
    "1+2i",
    "nil",
    "true",
    "false",
    "printf ",
    "print ",
    "println ",
    "index ",
    "slice ",
    "len ",
    "eq ",
    "ne ",
    "lt ",
    "ge ",
    "and ",
    "or ",
    "not ",
    "html ",
    "js ",
    "urlquery ",
    "call ",
    " ",
    "\n",
    "x",
    ",",
    "é",
    "\"t\"",
    "{{define \"t\"}}",
    "{{template \"t\" .}}",
    "{{end}}",
    "{{range .list}}",
    "{{else}}",
    "{{if .t}}",
    "{{with .m}}",
    "{{$x := .a}}",
    "{{.}}",
    "\u{1}",
    "\\",
];

const FUNCS: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge",
    "html", "js", "urlquery", "call",
];

const LEAVES: &[&str] = &[
    ".",
    ".a",
    ".n",
    ".f",
    ".t",
    ".z",
    ".list",
    ".m",
    ".m.l",
    ".e",
    ".request.query",
    ".request.query.mac",
    ".nope",
    "$",
    "$.list",
    "$x",
    "1",
    "-1",
    "0",
    "2",
    "1.5",
    "1e6",
    "'a'",
    "1+2i",
    "\"a\"",
    "\"%v %d\"",
    "\"%5.2f|%x|%q\"",
    "\"\"",
    "`raw`",
    "nil",
    "true",
    "false",
];

/// An operand: a leaf, or a parenthesized call or pipeline of operands.
fn operand() -> impl Strategy<Value = String> {
    let leaf = (0..LEAVES.len()).prop_map(|i| LEAVES[i].to_owned());
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            ((0..FUNCS.len()), proptest::collection::vec(inner.clone(), 0..3)).prop_map(|(f, args)| format!(
                "({} {})",
                FUNCS[f],
                args.join(" ")
            )),
            (inner.clone(), (0..FUNCS.len()), proptest::collection::vec(inner, 0..2)).prop_map(|(a, f, args)| format!(
                "({a} | {} {})",
                FUNCS[f],
                args.join(" ")
            )),
        ]
    })
}

/// A mostly well-formed template built from actions and control structures.
fn structured() -> impl Strategy<Value = String> {
    let action = prop_oneof![
        operand().prop_map(|o| format!("{{{{{o}}}}}")),
        ((0..FUNCS.len()), proptest::collection::vec(operand(), 0..3)).prop_map(|(f, args)| format!(
            "{{{{{} {}}}}}",
            FUNCS[f],
            args.join(" ")
        )),
        operand().prop_map(|o| format!("{{{{$x := {o}}}}}")),
        Just("text\n".to_owned()),
        Just("{{break}}".to_owned()),
        Just("{{- /* c */ -}}".to_owned()),
    ];
    action.prop_recursive(3, 24, 4, |inner| {
        let body = proptest::collection::vec(inner, 0..3).prop_map(|v| v.concat());
        prop_oneof![
            (operand(), body.clone(), proptest::option::of(body.clone())).prop_map(|(c, b, e)| format!(
                "{{{{if {c}}}}}{b}{}{{{{end}}}}",
                e.map(|e| format!("{{{{else}}}}{e}")).unwrap_or_default()
            )),
            (operand(), body.clone()).prop_map(|(c, b)| format!("{{{{with {c}}}}}{b}{{{{else}}}}none{{{{end}}}}")),
            (operand(), body.clone())
                .prop_map(|(c, b)| format!("{{{{range $i, $e := {c}}}}}{b}{{{{continue}}}}{{{{end}}}}")),
            (operand(), body)
                .prop_map(|(c, b)| format!("{{{{define \"t\"}}}}{b}{{{{end}}}}{{{{template \"t\" {c}}}}}")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn structured_templates_never_panic(text in structured()) {
        exercise(&text, &data());
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        exercise(&text, &data());
        // Wrapped in an action, the bytes reach the lexer's action states.
        exercise(&format!("{{{{{text}}}}}"), &data());
    }

    #[test]
    fn random_fragments_never_panic(picks in proptest::collection::vec(0..FRAGMENTS.len(), 0..60)) {
        let text: String = picks.iter().map(|&i| FRAGMENTS[i]).collect();
        exercise(&text, &data());
    }

    #[test]
    fn random_printf_formats_never_panic(
        format in "[%#+ 0-9.*\\[\\]a-zA-Z!é-]{0,16}",
        args in proptest::collection::vec(0..6usize, 0..4),
    ) {
        const ARGS: &[&str] = &[".a", ".n", ".f", ".list", ".m", "nil"];
        let args: Vec<&str> = args.iter().map(|&i| ARGS[i]).collect();
        let text = format!("{{{{printf {:?} {}}}}}", format, args.join(" "));
        exercise(&text, &data());
    }
}

/// Runs `f` on a thread with a 2 MiB stack, like a tokio worker thread.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("thread panicked");
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    on_small_stack(|| {
        let ifs = format!("{}x{}", "{{if 1}}".repeat(5000), "{{end}}".repeat(5000));
        let err = Template::parse(&ifs).unwrap_err();
        assert_eq!(err.detail(), "exceeded maximum nesting depth (100)");

        let parens = format!("{{{{{}1{}}}}}", "(".repeat(5000), ")".repeat(5000));
        let err = Template::parse(&parens).unwrap_err();
        assert_eq!(err.detail(), "exceeded maximum nesting depth (100)");

        let unclosed = "{{if 1}}{{range .}}{{with .}}(".repeat(2000);
        assert!(Template::parse(&unclosed).is_err());

        // Just inside the limit parses and runs.
        let ok = format!("{}x{}", "{{if 1}}".repeat(99), "{{end}}".repeat(99));
        assert_eq!(Template::parse(&ok).unwrap().execute(&Value::Null).unwrap(), "x");
        let ok = format!("{{{{{}1{}}}}}", "(".repeat(98), ")".repeat(98));
        assert_eq!(Template::parse(&ok).unwrap().execute(&Value::Null).unwrap(), "1");
    });
}

#[test]
fn infinite_recursion_is_an_error_not_a_stack_overflow() {
    on_small_stack(|| {
        let t = Template::parse(r#"{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}"#).unwrap();
        let err = t.execute(&Value::Null).unwrap_err();
        assert_eq!(err.detail(), "exceeded maximum template depth (300)");
        assert_eq!(err.template_name(), "r");

        // Each level nests control structures and parentheses as deeply as
        // the parser allows, the worst case for the stack.
        let body = format!(
            "{}{{{{template \"r\" {}1{}}}}}{}",
            "{{if 1}}{{with 0}}{{else}}".repeat(45),
            "(".repeat(9),
            ")".repeat(9),
            "{{end}}{{end}}".repeat(45)
        );
        let t = Template::parse(&format!(
            "{{{{define \"r\"}}}}{body}{{{{end}}}}{{{{template \"r\" .}}}}"
        ))
        .unwrap();
        let err = t.execute(&Value::Null).unwrap_err();
        assert_eq!(err.detail(), "exceeded maximum template depth (300)");
    });
}

#[test]
fn long_else_if_chains_are_not_nesting() {
    on_small_stack(|| {
        // One branch per machine is a common matchbox pattern.
        let mut text = String::new();
        for i in 0..5000 {
            let kw = if i == 0 { "if" } else { "else if" };
            text.push_str(&format!("{{{{{kw} eq .mac \"m{i}\"}}}}host{i}"));
        }
        text.push_str("{{else}}unknown{{end}}");
        let t = Template::parse(&text).unwrap();
        let mut m = BTreeMap::new();
        m.insert("mac".to_owned(), Value::String("m4321".to_owned()));
        assert_eq!(t.execute(&Value::Map(m.clone())).unwrap(), "host4321");
        m.insert("mac".to_owned(), Value::String("other".to_owned()));
        assert_eq!(t.execute(&Value::Map(m)).unwrap(), "unknown");
    });
}

#[test]
fn large_inputs_finish_quickly() {
    let start = std::time::Instant::now();
    let text = "{{.a}} plain text {{range .list}}{{.}}{{end}}\n".repeat(20_000);
    let t = Template::parse(&text).unwrap();
    let out = t.execute(&data()).unwrap();
    assert!(out.len() > 20_000 * 20);
    let junk = "{{".repeat(100_000);
    assert!(Template::parse(&junk).is_err());
    let junk = "((((".repeat(50_000);
    assert!(Template::parse(&format!("{{{{{junk}")).is_err());
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
}

const PRINTF_ARGS: &[&str] = &[
    ".a",
    ".n",
    ".f",
    ".list",
    ".m",
    "nil",
    ".z",
    "1",
    "-7",
    "255",
    "3.0",
    "1e21",
    "1e-7",
    "0.1",
    "123456.789",
    "-0.0",
    "1+2i",
    "'x'",
    "(index \"A\" 0)",
    "\"héllo\"",
    "true",
    ".request.query",
    ".e",
    "(len .list)",
    "12345678",
    "-1e300",
];

/// Writes generated templates in the oracle's case format to the file named
/// by `DUMP_CASES` (seeded by `SEED`), for differential testing against Go:
/// see `tests/oracle/fuzz.sh`. Does nothing otherwise.
#[test]
fn dump_generated_cases_for_oracle() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let Ok(path) = std::env::var("DUMP_CASES") else {
        return;
    };
    let seed: u8 = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let count: usize = std::env::var("COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]));
    let data = serde_json::json!({
        "a": "x", "n": 1000000, "f": 1.5, "t": true, "z": null,
        "list": ["a", "b", null, 2], "m": {"k": "v", "l": [1, 2]}, "e": []
    });
    let structured = structured();
    let fragments = proptest::collection::vec(0..FRAGMENTS.len(), 0..40);
    // No 'p' verb: Go prints real addresses for %p.
    let format = "(%[#+ 0-9.*\\[\\]a-oq-zA-Z!é-]{0,5}){1,3}";
    let printf_args = proptest::collection::vec(0..PRINTF_ARGS.len(), 0..4);
    let mut out = String::new();
    for i in 0..count {
        let text = match i % 4 {
            0 | 1 => structured.new_tree(&mut runner).unwrap().current(),
            2 => {
                let f = format.new_tree(&mut runner).unwrap().current();
                let args: Vec<&str> = printf_args
                    .new_tree(&mut runner)
                    .unwrap()
                    .current()
                    .iter()
                    .map(|&i| PRINTF_ARGS[i])
                    .collect();
                format!("{{{{printf {f:?} {}}}}}", args.join(" "))
            }
            _ => fragments
                .new_tree(&mut runner)
                .unwrap()
                .current()
                .iter()
                .map(|&i| FRAGMENTS[i])
                .collect(),
        };
        // The oracle reads Go string syntax; Rust's escapes agree except for
        // control characters, which the generators avoid anyway.
        if text.chars().any(|c| c.is_control() && c != '\n') {
            continue;
        }
        out.push_str(&format!("== gen{i}\n-- data {data}\n-- quoted\n{text:?}\n"));
    }
    std::fs::write(path, out).expect("write generated cases");
}
