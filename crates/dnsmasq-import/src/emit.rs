//! Writing TOML values by hand: the output is a file for people, with
//! comments and an order chosen for reading, so it is written as text
//! rather than serialized.

/// A TOML basic string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `["a", "b"]`.
pub fn strings<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| quote(s.as_ref())).collect();
    format!("[{}]", inner.join(", "))
}

/// A key that needs quoting in TOML (option names such as `nis+-domain`).
pub fn key(k: &str) -> String {
    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        k.to_owned()
    } else {
        quote(k)
    }
}

/// `{ a = 1, b = "x" }` from already-written values.
pub fn inline_table(entries: &[(String, String)]) -> String {
    if entries.is_empty() {
        return "{}".to_owned();
    }
    let inner: Vec<String> = entries.iter().map(|(k, v)| format!("{} = {v}", key(k))).collect();
    format!("{{ {} }}", inner.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        assert_eq!(strings(&["x", "y"]), "[\"x\", \"y\"]");
        assert_eq!(key("dns-server"), "dns-server");
        assert_eq!(key("nis+-domain"), "\"nis+-domain\"");
        assert_eq!(inline_table(&[("arch".into(), "0".into())]), "{ arch = 0 }");
    }
}
