//! Go's `path` package (slash-separated, purely lexical): `Clean`, `IsAbs`, `Ext` and `Join`,
//! which Ignition's validation uses for node paths, unit suffixes and hard-link targets.

/// `path.Clean`.
pub(crate) fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// `path.IsAbs`.
pub(crate) fn is_abs(p: &str) -> bool {
    p.starts_with('/')
}

/// `path.Ext`: the suffix from the last `.` in the final element, or `""`.
pub(crate) fn ext(p: &str) -> &str {
    for (i, b) in p.bytes().enumerate().rev() {
        match b {
            b'/' => return "",
            b'.' => return &p[i..],
            _ => {}
        }
    }
    ""
}

/// `path.Join(a, b)`.
pub(crate) fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(b),
        (false, true) => clean(a),
        (false, false) => clean(&format!("{a}/{b}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go() {
        for (input, want) in [
            ("", "."),
            ("/", "/"),
            ("//a//b/", "/a/b"),
            ("/a/./b/../c", "/a/c"),
            ("/../a", "/a"),
            ("a/../..", ".."),
            ("../../a", "../../a"),
            ("a/b/..", "a"),
            (".", "."),
        ] {
            assert_eq!(clean(input), want, "{input}");
        }
    }

    #[test]
    fn ext_and_join_match_go() {
        assert_eq!(ext("a.service"), ".service");
        assert_eq!(ext("a.d/b"), "");
        assert_eq!(ext("noext"), "");
        assert_eq!(join("/a/b", "../c"), "/a/c");
        assert_eq!(join("/a", ""), "/a");
    }
}
