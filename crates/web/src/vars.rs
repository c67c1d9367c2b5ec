//! The variables templates and `/metadata` see, layered as matchbox layers
//! them: group metadata, then selectors with lowercased keys,
//! then `request` = {query: labels, raw_query}. Later layers override
//! earlier ones.

use std::collections::BTreeMap;

use model::{Group, Labels};
use template::Value;

use crate::gostr;

pub fn collect(group: &Group, labels: &Labels, raw_query: &str) -> Value {
    let mut vars: BTreeMap<String, Value> = BTreeMap::new();
    if let Some(meta) = &group.metadata {
        for (k, v) in meta {
            vars.insert(k.clone(), Value::from(v));
        }
    }
    for (k, v) in &group.selector {
        vars.insert(gostr::to_lower(k), Value::String(v.clone()));
    }
    let mut request = BTreeMap::new();
    request.insert("query".to_owned(), Value::StrMap(labels.as_map().clone()));
    request.insert("raw_query".to_owned(), Value::String(raw_query.to_owned()));
    vars.insert("request".to_owned(), Value::Map(request));
    Value::Map(vars)
}

/// `/metadata`: one `NAME=value` line per scalar, nested maps flattened with
/// `_`, names uppercased, arrays and null dropped. Lines are sorted by key
/// path (D10: matchbox's order is random).
pub fn render_env(vars: &Value) -> String {
    let mut out = String::new();
    if let Value::Map(m) = vars {
        walk(
            &mut out,
            "",
            m.iter().map(|(k, v)| (k.as_str(), Leaf::Value(v))).collect(),
        );
    }
    out
}

enum Leaf<'a> {
    Value(&'a Value),
    Str(&'a str),
}

fn walk(out: &mut String, prefix: &str, entries: Vec<(&str, Leaf<'_>)>) {
    for (k, v) in entries {
        let name = format!("{prefix}{k}");
        let scalar = match v {
            Leaf::Str(s) => Some(s.to_owned()),
            Leaf::Value(Value::String(s)) => Some(s.clone()),
            Leaf::Value(Value::Bool(b)) => Some(b.to_string()),
            Leaf::Value(Value::Number(n)) => Some(template::format_float(*n)),
            Leaf::Value(Value::Int(i)) => Some(i.to_string()),
            Leaf::Value(Value::Map(m)) => {
                walk(
                    out,
                    &format!("{name}_"),
                    m.iter().map(|(k, v)| (k.as_str(), Leaf::Value(v))).collect(),
                );
                None
            }
            Leaf::Value(Value::StrMap(m)) => {
                walk(
                    out,
                    &format!("{name}_"),
                    m.iter().map(|(k, v)| (k.as_str(), Leaf::Str(v))).collect(),
                );
                None
            }
            Leaf::Value(Value::Array(_) | Value::Null) => None,
        };
        if let Some(value) = scalar {
            out.push_str(&gostr::to_upper(&name));
            out.push('=');
            out.push_str(&value);
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_golden_lines() {
        let group = Group::from_json(
            br#"{"selector":{"mac":"52:54:00:a1:9c:ae"},"metadata":{"meta":"data","etcd":{"name":"node1"},"some":{"nested":{"data":"some-value"}}}}"#,
        )
        .unwrap();
        let raw = "mac=52-54-00-a1-9c-ae&foo=bar&count=3&gate=true";
        let labels = Labels::from_query(raw).0;
        let body = render_env(&collect(&group, &labels, raw));
        let mut lines: Vec<&str> = body.lines().collect();
        lines.sort();
        let mut want = vec![
            "META=data",
            "ETCD_NAME=node1",
            "SOME_NESTED_DATA=some-value",
            "MAC=52:54:00:a1:9c:ae",
            "REQUEST_QUERY_MAC=52:54:00:a1:9c:ae",
            "REQUEST_QUERY_FOO=bar",
            "REQUEST_QUERY_COUNT=3",
            "REQUEST_QUERY_GATE=true",
            "REQUEST_RAW_QUERY=mac=52-54-00-a1-9c-ae&foo=bar&count=3&gate=true",
        ];
        want.sort();
        assert_eq!(lines, want);
        assert!(body.ends_with('\n'));
    }

    #[test]
    fn scalars_go_style() {
        let group = Group::from_json(
            br#"{"metadata":{"num":3,"big":1000000,"f":1.5,"yes":true,"no":false,"arr":[1],"nil":null}}"#,
        )
        .unwrap();
        let body = render_env(&collect(&group, &Labels::new(), ""));
        assert_eq!(
            body,
            "BIG=1e+06\nF=1.5\nNO=false\nNUM=3\nREQUEST_RAW_QUERY=\nYES=true\n"
        );
    }

    #[test]
    fn precedence_request_over_selector_over_metadata() {
        let group =
            Group::from_json(br#"{"selector":{"OS":"installed"},"metadata":{"os":"meta","request":"x"}}"#).unwrap();
        let Value::Map(vars) = collect(&group, &Labels::new(), "q") else {
            panic!()
        };
        assert_eq!(vars["os"], Value::String("installed".into()));
        assert!(matches!(vars["request"], Value::Map(_)));
    }
}
