//! Go's `strings.ToUpper` / `strings.ToLower`: rune by rune simple case
//! mapping, so a character whose uppercase is several characters (ß) is
//! kept, and Σ lowercases to σ everywhere (Rust's `to_lowercase` would
//! apply the final-sigma rule).

pub fn to_upper(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_uppercase();
    }
    s.chars().map(|c| single(c.to_uppercase(), c)).collect()
}

pub fn to_lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars().map(|c| single(c.to_lowercase(), c)).collect()
}

fn single(mut mapped: impl Iterator<Item = char>, original: char) -> char {
    match (mapped.next(), mapped.next()) {
        (Some(c), None) => c,
        _ => original,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_mapping() {
        assert_eq!(to_upper("etcd_name-x"), "ETCD_NAME-X");
        assert_eq!(to_upper("straße"), "STRAßE");
        assert_eq!(to_lower("ΟΔΟΣ"), "οδοσ");
    }
}
