//! The pieces of Go's `net/url`, `path` and `http.ServeMux` behaviour that
//! decide which handler a request reaches and how redirects look: path
//! unescaping, `path.Clean`, the mux's `cleanPath`, and path escaping for
//! `Location` headers.

/// Go's `url.PathUnescape` as used when parsing a request URI: `%XX` must be
/// two hex digits (otherwise Go's server answers 400), `+` stays `+`.
pub fn unescape_path(raw: &str) -> Option<String> {
    if !raw.contains('%') {
        return Some(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex)?;
            let lo = bytes.get(i + 2).copied().and_then(hex)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Go's `path.Clean`: the shortest equivalent path, purely lexically.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// `http.ServeMux`'s `cleanPath`: rooted, cleaned, trailing slash kept.
pub fn clean_request_path(p: &str) -> String {
    if p.is_empty() {
        return "/".to_owned();
    }
    let rooted;
    let p = if p.starts_with('/') {
        p
    } else {
        rooted = format!("/{p}");
        rooted.as_str()
    };
    let mut np = clean(p);
    if p.ends_with('/') && np != "/" {
        np.push('/');
    }
    np
}

/// Go's `url.URL{Path: p}.EscapedPath()` for a rooted path: escapes every
/// byte except unreserved characters and `$&+,/:;=@`.
pub fn escape_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for &b in p.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_' | b'.' | b'~' | b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'@'
            );
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Go's `html.EscapeString` subset used by `http.Redirect` and directory
/// listings (`htmlReplacer`).
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `http.Redirect`'s `hexEscapeNonASCII` for the Location header.
pub fn hex_escape_non_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b >= 0x80 {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_path_clean_vectors() {
        // From Go's path/path_test.go.
        for (input, want) in [
            ("", "."),
            ("abc", "abc"),
            ("abc/def", "abc/def"),
            ("a/b/c", "a/b/c"),
            (".", "."),
            ("..", ".."),
            ("../..", "../.."),
            ("../../abc", "../../abc"),
            ("/abc", "/abc"),
            ("/", "/"),
            ("abc/", "abc"),
            ("abc/def/", "abc/def"),
            ("a/b/c/", "a/b/c"),
            ("./", "."),
            ("../", ".."),
            ("../../", "../.."),
            ("/abc/", "/abc"),
            ("abc//def//ghi", "abc/def/ghi"),
            ("//abc", "/abc"),
            ("///abc", "/abc"),
            ("//abc//", "/abc"),
            ("abc//", "abc"),
            ("abc/./def", "abc/def"),
            ("/./abc/def", "/abc/def"),
            ("abc/.", "abc"),
            ("abc/def/ghi/../jkl", "abc/def/jkl"),
            ("abc/def/../ghi/../jkl", "abc/jkl"),
            ("abc/def/..", "abc"),
            ("abc/def/../..", "."),
            ("/abc/def/../..", "/"),
            ("abc/def/../../..", ".."),
            ("/abc/def/../../..", "/"),
            ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
            ("abc/./../def", "def"),
            ("abc//./../def", "def"),
            ("abc/../../././../def", "../../def"),
        ] {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
    }

    #[test]
    fn mux_clean_path() {
        assert_eq!(clean_request_path("//ipxe"), "/ipxe");
        assert_eq!(clean_request_path("/a/../ipxe"), "/ipxe");
        assert_eq!(clean_request_path("/assets/x/"), "/assets/x/");
        assert_eq!(clean_request_path("ipxe"), "/ipxe");
        assert_eq!(clean_request_path(""), "/");
    }

    #[test]
    fn unescape() {
        assert_eq!(unescape_path("/ip%78e").as_deref(), Some("/ipxe"));
        assert_eq!(unescape_path("/a+b").as_deref(), Some("/a+b"));
        assert_eq!(unescape_path("/a%zz"), None);
        assert_eq!(unescape_path("/a%4"), None);
    }

    #[test]
    fn escape() {
        assert_eq!(escape_path("/a b/c?d!"), "/a%20b/c%3Fd%21");
        assert_eq!(
            html_escape("<a href=\"x&y\">'"),
            "&lt;a href=&#34;x&amp;y&#34;&gt;&#39;"
        );
    }
}

#[cfg(test)]
mod recorded {
    use super::*;
    use crate::sniff::{decode_hex, recorded_rows};

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).expect("utf-8")
    }

    /// Paths built from empty, `.`, `..`, `%2F`, non-ASCII and plain segments behind no, one or
    /// two slashes, with trailing `/`, `/.`, `/..`: the lexical clean (which agrees with Go 1.19's
    /// `path.Clean`) and the request-path clean.
    #[test]
    fn clean_table() {
        for (input, columns) in recorded_rows(include_str!("testdata/clean.tsv")) {
            let input = text(input);
            assert_eq!(clean(&input), columns[0], "clean({input:?})");
            assert_eq!(clean_request_path(&input), columns[1], "clean_request_path({input:?})");
        }
    }

    /// Every `%XX` in both cases, short and non-hex escapes, `+`, non-UTF-8 results.
    #[test]
    fn unescape_table() {
        for (input, columns) in recorded_rows(include_str!("testdata/unescape.tsv")) {
            let input = text(input);
            let want = (columns[0] != "ERR").then(|| text(decode_hex(columns[0])));
            assert_eq!(unescape_path(&input), want, "unescape_path({input:?})");
        }
    }

    /// Every ASCII character inside a path, and non-ASCII ones.
    #[test]
    fn escape_table() {
        for (input, columns) in recorded_rows(include_str!("testdata/escape.tsv")) {
            let input = text(input);
            assert_eq!(escape_path(&input), columns[0], "escape_path({input:?})");
            assert_eq!(
                html_escape(&input),
                text(decode_hex(columns[1])),
                "html_escape({input:?})"
            );
            assert_eq!(hex_escape_non_ascii(&input), text(decode_hex(columns[2])), "{input:?}");
        }
    }
}
