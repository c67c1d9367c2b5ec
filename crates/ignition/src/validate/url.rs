//! The URL checks Ignition makes on resource sources, proxies and Tang servers.
//!
//! Three rule sets, each stated below where it is applied:
//!
//! * generic URL syntax (RFC 3986), with the leniencies and strictness of Go 1.19's `url.Parse`,
//!   which Ignition uses; the rules were taken from the RFC and from running Go as a black box
//!   over the inputs in `url_cases.rs`;
//! * `data:` URLs (RFC 2397), with the reasons Ignition's parser gives when it refuses one;
//! * the S3 ARN form of a source (`arn:PARTITION:s3:REGION:ACCOUNT:RESOURCE`).
//!
//! Validation only needs to know whether a URL is refused, its lower-cased scheme, its opaque
//! part and its raw query, so nothing else is kept. Nothing is fetched.

use crate::report::Issue;
use crate::spec::Spec;

/// The parts of a URL that validation looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedUrl {
    pub scheme: String,
    pub opaque: String,
    pub raw_query: String,
}

/// The value of one hexadecimal digit.
fn hex_value(c: u8) -> Option<u8> {
    char::from(c).to_digit(16).map(|d| d as u8)
}

/// Walks `s`, checking each percent-escape and each other byte. An escape must be `%` and two
/// hex digits; `escape_ok` then judges the byte it encodes and `literal_ok` judges every byte
/// outside escapes. `None` means the text is refused.
fn check_text(s: &str, escape_ok: impl Fn(u8) -> bool, literal_ok: impl Fn(u8) -> bool) -> Option<()> {
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let high = hex_value(bytes.next()?)?;
            let low = hex_value(bytes.next()?)?;
            if !escape_ok(high << 4 | low) {
                return None;
            }
        } else if !literal_ok(b) {
            return None;
        }
    }
    Some(())
}

/// Paths, queries, fragments and userinfo accept any escape.
fn escapes_well_formed(s: &str) -> Option<()> {
    check_text(s, |_| true, |_| true)
}

/// Bytes a host may carry as they are: RFC 3986's `unreserved` and `sub-delims`, `:` and the
/// brackets of an IP literal, and also `<`, `>` and `"`, which Go accepts. Bytes above ASCII
/// (UTF-8 in a registered name) pass too.
fn host_byte_ok(b: u8) -> bool {
    !b.is_ascii() || b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:[]<>\"".contains(&b)
}

/// A host's escapes may encode only bytes above ASCII, or `%` itself (`%25`).
fn host_text_ok(s: &str) -> Option<()> {
    check_text(s, |v| v == b'%' || !v.is_ascii(), host_byte_ok)
}

/// An IPv6 zone (RFC 6874, starting at its `%25`): an escape may encode `%`, a space or an ASCII
/// byte that a host could carry as it is.
fn zone_text_ok(s: &str) -> Option<()> {
    check_text(
        s,
        |v| v == b'%' || v == b' ' || (v.is_ascii() && host_byte_ok(v)),
        host_byte_ok,
    )
}

/// After a host, nothing or `:` and digits (possibly none). The port's value is not checked.
fn port_suffix_ok(s: &str) -> bool {
    s.is_empty()
        || s.strip_prefix(':')
            .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
}

/// `host[:port]`, where the host may be a bracketed IP literal with a zone.
fn host_ok(host: &str) -> Option<()> {
    if host.starts_with('[') {
        let close = host.rfind(']')?;
        if !port_suffix_ok(&host[close + 1..]) {
            return None;
        }
        if let Some(zone) = host[..close].find("%25") {
            host_text_ok(&host[..zone])?;
            zone_text_ok(&host[zone..close])?;
            return host_text_ok(&host[close..]);
        }
    } else if let Some(colon) = host.rfind(':')
        && !port_suffix_ok(&host[colon..])
    {
        return None;
    }
    host_text_ok(host)
}

/// Userinfo: RFC 3986's `unreserved`, `sub-delims`, `:` and escapes, plus `@` (the host starts
/// after the last `@`). Nothing above ASCII.
fn userinfo_ok(userinfo: &str) -> Option<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:%@".contains(c);
    if !userinfo.chars().all(allowed) {
        return None;
    }
    escapes_well_formed(userinfo)
}

/// `[userinfo@]host[:port]`.
fn authority_ok(authority: &str) -> Option<()> {
    match authority.rsplit_once('@') {
        None => host_ok(authority),
        Some((userinfo, host)) => {
            host_ok(host)?;
            userinfo_ok(userinfo)
        }
    }
}

/// How the start of a URL reads: a scheme and what follows its colon, no scheme at all, or a
/// colon where a scheme's first letter should be (refused).
enum Start<'a> {
    Scheme(&'a str, &'a str),
    Relative,
    EmptyScheme,
}

/// A scheme is a letter followed by letters, digits, `+`, `-` and `.` up to the first `:`
/// (RFC 3986 §3.1). Anything else before a colon means there is no scheme.
fn split_scheme(raw: &str) -> Start<'_> {
    let Some(end) = raw.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))) else {
        return Start::Relative;
    };
    if raw.as_bytes()[end] != b':' {
        return Start::Relative;
    }
    match raw.as_bytes().first() {
        Some(b':') => Start::EmptyScheme,
        Some(first) if first.is_ascii_alphabetic() => Start::Scheme(&raw[..end], &raw[end + 1..]),
        _ => Start::Relative,
    }
}

/// Parses `raw` as Ignition does before any scheme-specific check; `None` when refused.
pub(crate) fn parse(raw: &str) -> Option<ParsedUrl> {
    // The fragment starts at the first `#`; only its escapes are checked.
    let (raw, fragment) = raw.split_once('#').unwrap_or((raw, ""));
    escapes_well_formed(fragment)?;

    if raw.bytes().any(|b| b.is_ascii_control()) {
        return None;
    }
    let mut url = ParsedUrl {
        scheme: String::new(),
        opaque: String::new(),
        raw_query: String::new(),
    };
    // The asterisk request target (RFC 9112 §3.2.4) is accepted on its own.
    if raw == "*" {
        return Some(url);
    }
    let rest = match split_scheme(raw) {
        Start::EmptyScheme => return None,
        Start::Relative => raw,
        Start::Scheme(scheme, rest) => {
            url.scheme = scheme.to_ascii_lowercase();
            rest
        }
    };
    // The query starts at the first `?` and is kept undecoded.
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    url.raw_query = query.to_owned();

    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            // `scheme:opaque` (a URI that is not hierarchical): nothing more is checked.
            url.opaque = rest.to_owned();
            return Some(url);
        }
        // Without a scheme, a colon in the first segment would read as one (RFC 3986 §4.2).
        if rest.split('/').next().is_some_and(|segment| segment.contains(':')) {
            return None;
        }
    }
    // `//authority` begins a network path, except that a relative reference starting with
    // three slashes is all path.
    let mut path = rest;
    if let Some(after) = rest.strip_prefix("//")
        && (!url.scheme.is_empty() || !after.starts_with('/'))
    {
        let end = after.find('/').unwrap_or(after.len());
        authority_ok(&after[..end])?;
        path = &after[end..];
    }
    escapes_well_formed(path)?;
    Some(url)
}

/// Decodes a query component (`application/x-www-form-urlencoded`: `+` is a space); `None` for a
/// malformed escape.
fn decode_query_part(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        out.push(match b {
            b'%' => hex_value(bytes.next()?)? << 4 | hex_value(bytes.next()?)?,
            b'+' => b' ',
            b => b,
        });
    }
    Some(out)
}

/// The S3 object version rule: when the query names `versionId`, the first such pair must have a
/// value. Pairs are separated by `&`; a pair holding `;`, an empty pair and a pair with a bad
/// escape in its name or value are ignored, as Go's query parser ignores them.
fn s3_version_id_ok(raw_query: &str) -> bool {
    let first = raw_query
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.contains(';'))
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode_query_part(name)?, decode_query_part(value)?))
        })
        .find(|(name, _)| name == b"versionId");
    first.is_none_or(|(_, value)| !value.is_empty())
}

/// Ignition's check of a resource source at the given spec.
pub(crate) fn validate_source(s: &str, spec: Spec) -> Result<(), Issue> {
    let url = parse(s).ok_or(Issue::InvalidUrl)?;
    match url.scheme.as_str() {
        "http" | "https" | "tftp" => Ok(()),
        "gs" if spec >= Spec::V3_2 => Ok(()),
        "s3" if s3_version_id_ok(&url.raw_query) => Ok(()),
        "s3" => Err(Issue::InvalidS3ObjectVersionId),
        "arn" if spec >= Spec::V3_4 => validate_s3_arn(&url),
        "data" => decode_data_url(s).map_err(Issue::InvalidDataUrl),
        _ => Err(Issue::InvalidScheme),
    }
}

/// An `arn:` source (from spec 3.4): `arn:PARTITION:s3:REGION:ACCOUNT:RESOURCE`, where the
/// resource names an object, so the ARN must hold a `/` (`bucket/key`), or two for an access point
/// (`accesspoint/NAME/...`). The slashes are counted over the whole ARN, the scheme written in
/// lower case and without the query. The version rule of `s3:` sources applies to the query.
fn validate_s3_arn(url: &ParsedUrl) -> Result<(), Issue> {
    let arn = format!("{}:{}", url.scheme, url.opaque);
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, service, _, _, resource] = fields[..] else {
        return Err(Issue::InvalidS3Arn);
    };
    let slashes_needed = if resource.starts_with("accesspoint/") { 2 } else { 1 };
    if service != "s3" || arn.matches('/').count() < slashes_needed {
        return Err(Issue::InvalidS3Arn);
    }
    if !s3_version_id_ok(&url.raw_query) {
        return Err(Issue::InvalidS3ObjectVersionId);
    }
    Ok(())
}

/// A Tang server's URL: it must parse and be http or https.
pub(crate) fn validate_http_url(s: &str) -> Result<(), Issue> {
    match parse(s) {
        None => Err(Issue::InvalidUrl),
        Some(u) if u.scheme == "http" || u.scheme == "https" => Ok(()),
        Some(_) => Err(Issue::InvalidScheme),
    }
}

// ---- data: URLs ----
//
// RFC 2397: `data:[<mediatype>][;base64],<data>`, where the media type is `type/subtype` followed
// by `;attribute=value` parameters (RFC 2045 tokens or quoted strings). The parser Ignition uses
// reads the URL left to right and stops at the first problem; the messages are its own, and the
// comments on each rule note where it departs from the RFCs' grammar.

/// An RFC 2045 token character: printable ASCII except space and the `tspecials`.
fn is_token_char(c: char) -> bool {
    c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?=".contains(c)
}

/// Characters allowed in the data of a non-base64 URL: printable ASCII except those RFC 2396
/// §2.4.3 excludes (space, `<`, `>`, `#`, `"`, and the "unwise" `{}|\^[]` and backquote). `%`
/// stays, for escapes.
fn is_data_char(c: char) -> bool {
    c.is_ascii_graphic() && !"<>#\"{}|\\^[]`".contains(c)
}

/// The top-level types the parser knows (RFC 2045 §5.1 and RFC 2046). It only checks that the type
/// begins with one of them, so `textual/plain` passes.
const TOP_LEVEL_TYPES: [&str; 7] = ["text", "image", "audio", "video", "application", "message", "multipart"];

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn refuse<T>(reason: &str) -> Result<T, String> {
    Err(reason.to_owned())
}

/// Where the reading goes after a `;` or a `,`.
#[derive(PartialEq, Eq)]
enum Then {
    Parameter,
    Data,
}

/// Every `%` must start two hex digits (RFC 2396 §2.4.1). The first of the two positions that is
/// missing or not a hex digit decides the message; the second one names the `%` itself.
fn rfc2396_escapes_ok(s: &str) -> Result<(), String> {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            for _ in 0..2 {
                match chars.next() {
                    None => return refuse("rfc2396: unexpected end of unescape sequence"),
                    Some(d) if d.is_ascii_hexdigit() => {}
                    Some(_) => return refuse("rfc2396: invalid char 0x25 in unescape sequence"),
                }
            }
        }
    }
    Ok(())
}

/// Whether `body` may stand between the double quotes of a Go string literal (the Go
/// specification's "interpreted string literals"): no raw newline or `"`, and only the escapes
/// `\a \b \f \n \r \t \v \\ \"`, `\x` with two hex digits, three octal digits worth at most 255,
/// and `\u`/`\U` with four/eight hex digits naming a Unicode scalar value. The parser decodes
/// quoted parameter values this way.
fn go_string_body_ok(body: &str) -> bool {
    let mut chars = body.chars();
    let take_hex = |chars: &mut std::str::Chars, n: usize| -> Option<u32> {
        let digits: String = chars.by_ref().take(n).collect();
        if digits.len() == n && digits.chars().all(|d| d.is_ascii_hexdigit()) {
            u32::from_str_radix(&digits, 16).ok()
        } else {
            None
        }
    };
    while let Some(c) = chars.next() {
        let ok = match c {
            '\n' | '"' => false,
            '\\' => match chars.next() {
                Some('a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\' | '"') => true,
                Some('x') => take_hex(&mut chars, 2).is_some(),
                Some('u') => take_hex(&mut chars, 4).and_then(char::from_u32).is_some(),
                Some('U') => take_hex(&mut chars, 8).and_then(char::from_u32).is_some(),
                Some(first @ '0'..='7') => {
                    let rest: String = chars.by_ref().take(2).collect();
                    let digits = format!("{first}{rest}");
                    digits.len() == 3
                        && digits.chars().all(|d| ('0'..='7').contains(&d))
                        && u32::from_str_radix(&digits, 8).is_ok_and(|v| v <= 255)
                }
                _ => false,
            },
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// The media type, from just after `data:` to the `;` or `,` that ends it. An empty media type
/// is allowed.
fn read_media_type(input: &mut Chars) -> Result<Then, String> {
    let mut top = String::new();
    match input.next() {
        None => return refuse("missing comma before data"),
        Some(';') => return Ok(Then::Parameter),
        Some(',') => return Ok(Then::Data),
        Some(c) if !is_token_char(c) => return refuse("invalid character after data prefix"),
        Some(c) => top.push(c),
    }
    // An `x-` extension type (RFC 2045 §5.1) may have any name. The parser takes the character
    // after a leading `x` or `X` without examining it, so it can be neither refused nor end the
    // type, whatever it is.
    let mut extension = false;
    if top.eq_ignore_ascii_case("x")
        && let Some(c) = input.next()
    {
        extension = c == '-';
        top.push(c);
    }
    loop {
        match input.next() {
            Some('/') => break,
            None => return refuse("missing media type slash"),
            Some(c) if is_token_char(c) => top.push(c),
            Some(_) => return refuse("invalid character for media type"),
        }
    }
    if !extension && !TOP_LEVEL_TYPES.iter().any(|known| top.starts_with(known)) {
        return refuse("invalid media type");
    }
    loop {
        match input.next() {
            Some(';') => return Ok(Then::Parameter),
            Some(',') => return Ok(Then::Data),
            None => return refuse("incomplete media type"),
            Some(c) if is_token_char(c) => {}
            Some(_) => return refuse("invalid character for media subtype"),
        }
    }
}

/// The parameters, each after a `;`, and the `base64` marker, which must be the last one.
/// Returns whether the data is base64.
fn read_parameters(input: &mut Chars) -> Result<bool, String> {
    // Quirk of the parser: after an empty quoted value (`""`) the next unquoted value is held to
    // the Go string literal rules instead of RFC 2396 escapes, until a non-empty quoted value.
    let mut literal_rules = false;
    loop {
        let mut attribute = String::new();
        match input.next() {
            None | Some('=' | ',') => return refuse("unterminated parameter sequence"),
            Some(c) if is_token_char(c) => attribute.push(c),
            Some(_) => return refuse("invalid character for parameter attribute"),
        }
        loop {
            match input.next() {
                Some('=') => break,
                Some(',') if attribute == "base64" => return Ok(true),
                Some(',') => return Err(format!("expected base64, got {attribute}")),
                None => return refuse("unterminated parameter sequence"),
                Some(c) if is_token_char(c) => attribute.push(c),
                Some(_) => return refuse("invalid character for parameter attribute"),
            }
        }
        match input.next() {
            Some('"') => {
                let body = read_quoted_rest(input)?;
                literal_rules = body.is_empty();
                if !body.is_empty() && !go_string_body_ok(&body) {
                    return refuse("invalid syntax");
                }
            }
            None => return refuse("missing comma before data"),
            Some(c) if is_token_char(c) => {
                let mut value = String::from(c);
                loop {
                    match input.peek() {
                        Some(';' | ',') => break,
                        None => return refuse("missing comma before data"),
                        Some(&c) if is_token_char(c) => value.push(c),
                        Some(_) => return refuse("invalid character for parameter value"),
                    }
                    input.next();
                }
                if literal_rules {
                    literal_rules = false;
                    if !go_string_body_ok(&value) {
                        return refuse("invalid syntax");
                    }
                } else {
                    rfc2396_escapes_ok(&value)?;
                }
            }
            Some(_) => return refuse("invalid character for parameter value"),
        }
        match input.next() {
            Some(';') => {}
            Some(',') => return Ok(false),
            None => return refuse("missing comma before data"),
            Some(_) => return refuse("expected semicolon or comma"),
        }
    }
}

/// A quoted value after its opening `"`, up to the closing one; returns what lies between, with
/// its backslashes. Only ASCII may appear, escaped or not.
fn read_quoted_rest(input: &mut Chars) -> Result<String, String> {
    let mut body = String::new();
    loop {
        match input.next() {
            None => return refuse("unclosed quoted string"),
            Some('"') => return Ok(body),
            Some('\\') => match input.next() {
                None => return refuse("unclosed quoted string"),
                Some(c) if c.is_ascii() => body.extend(['\\', c]),
                Some(_) => return refuse("invalid escaped character"),
            },
            Some(c) if c.is_ascii() => body.push(c),
            Some(_) => return refuse("invalid character for parameter value"),
        }
    }
}

/// Base64 data (RFC 4648 §4) with its padding: whole groups of four, with one or two `=` only at
/// the end.
fn base64_ok(data: &str) -> bool {
    if !data.len().is_multiple_of(4) {
        return false;
    }
    let unpadded = data.trim_end_matches('=');
    let padding = data.len() - unpadded.len();
    padding <= 2 && !unpadded.contains('=')
}

/// Checks a `data:` URL; `Err` holds the reason Ignition reports.
pub(crate) fn decode_data_url(s: &str) -> Result<(), String> {
    let Some(rest) = s.strip_prefix("data:") else {
        return refuse("missing data prefix");
    };
    let mut input = rest.chars().peekable();
    let base64 = match read_media_type(&mut input)? {
        Then::Parameter => read_parameters(&mut input)?,
        Then::Data => false,
    };
    let data: String = input.collect();
    if base64 {
        if !data.chars().all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c)) {
            return refuse("invalid data character");
        }
        if !base64_ok(&data) {
            return refuse("illegal base64 data");
        }
        Ok(())
    } else {
        if !data.chars().all(is_data_char) {
            return refuse("invalid data character");
        }
        rfc2396_escapes_ok(&data)
    }
}

#[cfg(test)]
#[path = "url_cases.rs"]
mod cases;

#[cfg(test)]
mod recorded {
    use super::*;

    fn outcome(r: Result<(), Issue>) -> String {
        match r {
            Ok(()) => "ok".to_owned(),
            Err(issue) => format!("{issue:?}"),
        }
    }

    #[test]
    fn parse_table() {
        for &(input, want) in cases::PARSE {
            let got = parse(input);
            let got = got
                .as_ref()
                .map(|u| (u.scheme.as_str(), u.opaque.as_str(), u.raw_query.as_str()));
            assert_eq!(got, want, "parse({input:?})");
        }
    }

    #[test]
    fn source_table() {
        let specs = [Spec::V3_0, Spec::V3_1, Spec::V3_2, Spec::V3_3, Spec::V3_4, Spec::V3_5];
        for &(source, per_spec, tang) in cases::SOURCES {
            for (spec, want) in specs.into_iter().zip(per_spec) {
                assert_eq!(outcome(validate_source(source, spec)), want, "{source:?} at {spec:?}");
            }
            assert_eq!(
                outcome(validate_http_url(source)),
                tang,
                "validate_http_url({source:?})"
            );
        }
    }

    #[test]
    fn data_url_table() {
        for &(input, want) in cases::DATA {
            assert_eq!(decode_data_url(input).err().as_deref(), want, "{input:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_and_refuses() {
        for ok in [
            "http://example.com/a?b#c",
            "https://u:p@h:8080/x",
            "tftp://h/x",
            "s3://bucket/key",
            "data:,hello",
            "http://[::1]:80/",
            "relative/path",
            "",
            "*",
            "http://h/%41",
            "mailto:a@b",
        ] {
            assert!(parse(ok).is_some(), "{ok}");
        }
        for bad in [
            ":nope",
            "http://h/%zz",
            "http://[::1/",
            "http://h:port/",
            "http://a b/",
            "a:b/c".trim_start_matches('a'),
            "1rel:ative",
            "http://h/\u{1}",
            "http://h/#%zz",
            "http://u^x@h/",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn sources_follow_ignition_scheme_lists() {
        assert_eq!(validate_source("gs://b/o", Spec::V3_1), Err(Issue::InvalidScheme));
        assert_eq!(validate_source("gs://b/o", Spec::V3_2), Ok(()));
        assert_eq!(validate_source("ftp://h/x", Spec::V3_4), Err(Issue::InvalidScheme));
        assert_eq!(
            validate_source("s3://b/k?versionId=", Spec::V3_4),
            Err(Issue::InvalidS3ObjectVersionId)
        );
        assert_eq!(validate_source("s3://b/k?versionId=1", Spec::V3_4), Ok(()));
        assert_eq!(
            validate_source("arn:aws:s3:us-east-1:123:accesspoint/ap/object/k", Spec::V3_4),
            Ok(())
        );
        assert_eq!(validate_source("arn:aws:s3:::bucket/key", Spec::V3_4), Ok(()));
        assert_eq!(
            validate_source("arn:aws:s3:::bucket/key", Spec::V3_3),
            Err(Issue::InvalidScheme)
        );
        assert_eq!(
            validate_source("arn:aws:s3:::bucket", Spec::V3_4),
            Err(Issue::InvalidS3Arn)
        );
        assert_eq!(
            validate_source("arn:aws:iam:::role/x", Spec::V3_4),
            Err(Issue::InvalidS3Arn)
        );
        assert_eq!(
            validate_source("arn:aws:s3:us-east-1:123:accesspoint/ap", Spec::V3_4),
            Err(Issue::InvalidS3Arn)
        );
    }

    #[test]
    fn data_urls_accepted_and_refused() {
        for ok in [
            "data:,",
            "data:,hello%20world",
            "data:;base64,aGVsbG8=",
            "data:text/plain;charset=utf-8;base64,aGk=",
            "data:text/plain;charset=\"utf-8\",x",
            "data:application/octet-stream,x",
            "data:x-foo/bar,x",
        ] {
            assert_eq!(decode_data_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "data:",
            "data:hello",
            "data:,a b",
            "data:,a#b",
            "data:,%zz",
            "data:;base64,aGVsbG8",
            "data:;base64,a===",
            "data:;base65,x",
            "data:foo/bar,x",
            "data:text/plain;charset,x",
            "data:,é",
        ] {
            assert!(decode_data_url(bad).is_err(), "{bad}");
        }
    }
}
