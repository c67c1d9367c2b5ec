//! Any text parses into a template or an error, and executing it against
//! matchbox-shaped data returns output or an error: never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(t) = template::Template::parse(text) else { return };
    let vars = serde_json::json!({
        "mac": "52:54:00:89:d8:10",
        "n": 1000000,
        "list": [1, "a", null, {"k": true}],
        "nested": {"a": {"b": 1.5}},
        "request": {"raw_query": "mac=52-54-00-89-d8-10"},
    });
    let _ = t.execute(&template::Value::from(&vars));
});
