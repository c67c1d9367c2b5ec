//! Request paths and the text of redirects, as matchbox's Go server treats them: decoding the
//! path of a request, cleaning it before routing, and escaping paths for `Location` headers and
//! HTML. The rules come from RFC 3986 (percent-encoding, dot segments) and from Go's documented
//! and observed behaviour; the recorded tables in `testdata/` (`clean.tsv`, `unescape.tsv`,
//! `escape.tsv`) hold the expected results, and their cleaned paths and escapes agree with Go
//! 1.19's `path.Clean` and `url.URL.EscapedPath` run as a black box.

/// Decodes the `%XX` escapes of a request path (RFC 3986 §2.1). An escape that is not `%` and two
/// hex digits makes the request malformed (`None`; Go's server answers 400). `+` means itself in
/// a path. Bytes that do not form UTF-8 become U+FFFD.
pub fn unescape_path(raw: &str) -> Option<String> {
    let mut decoded = Vec::with_capacity(raw.len());
    let mut bytes = raw.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let high = hex_digit(bytes.next()?)?;
            let low = hex_digit(bytes.next()?)?;
            decoded.push(high << 4 | low);
        } else {
            decoded.push(b);
        }
    }
    Some(String::from_utf8_lossy(&decoded).into_owned())
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).map(|d| d as u8)
}

/// The shortest path naming the same place, found by reading the text alone (Go documents the
/// rules for `path.Clean`): runs of `/` count as one, `.` segments go, `..` removes the segment
/// before it, and a `..` at the start of a rooted path goes too (one of a relative path stays).
/// The result has no trailing `/` unless it is the root, and an empty result is `.`.
pub fn clean(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut kept: Vec<&str> = Vec::new();
    for segment in p.split('/').filter(|s| !s.is_empty() && *s != ".") {
        if segment != ".." {
            kept.push(segment);
        } else if kept.last().is_some_and(|last| *last != "..") {
            kept.pop();
        } else if !rooted {
            kept.push("..");
        }
    }
    let joined = kept.join("/");
    if rooted {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// The path Go's request router matches against: made rooted, cleaned, and keeping a trailing
/// `/` when the request had one (so `/assets/x/` stays a directory). An empty path is `/`.
pub fn clean_request_path(p: &str) -> String {
    let rooted = if p.starts_with('/') {
        p.to_owned()
    } else {
        format!("/{p}")
    };
    let mut cleaned = clean(&rooted);
    if rooted.ends_with('/') && cleaned != "/" {
        cleaned.push('/');
    }
    cleaned
}

/// Percent-encodes a rooted path for a URL, as Go writes a path it built itself: RFC 3986's
/// unreserved characters, `/` and the `pchar` delimiters `$&+,:;=@` stay, and every other byte
/// becomes `%XX` with upper-case hex (RFC 3986 §2.1). So `!'()*` and `?`, `#` are escaped.
pub fn escape_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for &b in p.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/$&+,:;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Escapes text for HTML the way Go's redirect and directory-listing pages do: `&`, `<`, `>`,
/// and both quotes, the quotes as numeric references (`&#34;`, `&#39;`).
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

/// Makes a redirect target fit a header: every byte above ASCII becomes `%xx` (lower-case hex, as
/// Go's redirects write it); everything else is kept.
pub fn hex_escape_non_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_examples() {
        for (input, want) in [
            ("", "."),
            ("abc/def/", "abc/def"),
            ("../../abc", "../../abc"),
            ("//abc//", "/abc"),
            ("abc/./def", "abc/def"),
            ("abc/def/../..", "."),
            ("/abc/def/../../..", "/"),
            ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
            ("abc//./../def", "def"),
        ] {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
    }

    #[test]
    fn request_paths() {
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
