//! UTF-8 over byte strings that need not be valid.
//!
//! Template strings are bytes: `slice` and `index` can cut a multi-byte
//! character in half. Go then reads each byte that does not begin a
//! well-formed sequence (RFC 3629: no overlong forms, no surrogates, nothing
//! above U+10FFFF) as one U+FFFD of width one, and the helpers here give
//! exactly those readings so widths, precisions and escapes agree with Go on
//! any bytes. Validity itself is judged by Rust's own UTF-8 decoder, which
//! follows the same RFC.

/// U+FFFD, standing for each byte that is not part of a valid character.
pub(crate) const REPLACEMENT: u32 = 0xFFFD;
/// The largest code point.
pub(crate) const MAX_CODE_POINT: u32 = 0x10_FFFF;

/// The first character of `b` and the number of bytes it takes:
/// `(REPLACEMENT, 1)` when `b` does not start with a complete, well-formed
/// sequence, and `(REPLACEMENT, 0)` when `b` is empty.
pub(crate) fn decode_char(b: &[u8]) -> (u32, usize) {
    if b.is_empty() {
        return (REPLACEMENT, 0);
    }
    // No character is longer than four bytes, so four are enough to decide.
    let window = &b[..b.len().min(4)];
    let first = window
        .utf8_chunks()
        .next()
        .and_then(|chunk| chunk.valid().chars().next());
    match first {
        Some(c) => (u32::from(c), c.len_utf8()),
        None => (REPLACEMENT, 1),
    }
}

/// How many characters `b` reads as, each stray byte counting as one.
pub(crate) fn char_count(b: &[u8]) -> usize {
    b.utf8_chunks()
        .map(|chunk| chunk.valid().chars().count() + chunk.invalid().len())
        .sum()
}

/// Whether `code` is a Unicode scalar value (a code point, not a surrogate).
pub(crate) fn is_scalar(code: i64) -> bool {
    u32::try_from(code).ok().and_then(char::from_u32).is_some()
}

/// Appends `code` encoded as UTF-8, or U+FFFD if it is not a scalar value.
pub(crate) fn push_char(buf: &mut Vec<u8>, code: i64) {
    let c = u32::try_from(code)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or(char::REPLACEMENT_CHARACTER);
    buf.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decoding by the RFC 3629 table of well-formed sequences, written out
    /// independently of `decode_char`: (first byte range, second byte range,
    /// sequence length). Later bytes are always 80..=BF.
    fn by_rfc_table(b: &[u8]) -> (u32, usize) {
        const TABLE: [(u8, u8, u8, u8, usize); 9] = [
            (0x00, 0x7F, 0, 0, 1),
            (0xC2, 0xDF, 0x80, 0xBF, 2),
            (0xE0, 0xE0, 0xA0, 0xBF, 3),
            (0xE1, 0xEC, 0x80, 0xBF, 3),
            (0xED, 0xED, 0x80, 0x9F, 3),
            (0xEE, 0xEF, 0x80, 0xBF, 3),
            (0xF0, 0xF0, 0x90, 0xBF, 4),
            (0xF1, 0xF3, 0x80, 0xBF, 4),
            (0xF4, 0xF4, 0x80, 0x8F, 4),
        ];
        let Some(&lead) = b.first() else {
            return (REPLACEMENT, 0);
        };
        let Some(&(_, _, lo, hi, len)) = TABLE.iter().find(|r| (r.0..=r.1).contains(&lead)) else {
            return (REPLACEMENT, 1);
        };
        if len == 1 {
            return (u32::from(lead), 1);
        }
        let ok = b.len() >= len && (lo..=hi).contains(&b[1]) && b[2..len].iter().all(|c| (0x80..=0xBF).contains(c));
        if !ok {
            return (REPLACEMENT, 1);
        }
        let s = std::str::from_utf8(&b[..len]).expect("well-formed by the table");
        (u32::from(s.chars().next().expect("one char")), len)
    }

    #[test]
    fn decodes_every_short_sequence_as_the_rfc_table_says() {
        let tails: [&[u8]; 6] = [b"", b"\x80", b"\xBF", b"\x80\x80", b"\xBF\xBFz", b"\x80\x80\x80"];
        for lead in 0..=255u8 {
            for second in [0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF] {
                for tail in tails {
                    let mut b = vec![lead, second];
                    b.extend_from_slice(tail);
                    for cut in 1..=b.len() {
                        assert_eq!(decode_char(&b[..cut]), by_rfc_table(&b[..cut]), "{:02X?}", &b[..cut]);
                    }
                }
            }
        }
    }

    #[test]
    fn decodes() {
        assert_eq!(decode_char(b""), (REPLACEMENT, 0));
        assert_eq!(decode_char(b"a"), (u32::from(b'a'), 1));
        assert_eq!(decode_char("é".as_bytes()), (0xE9, 2));
        assert_eq!(decode_char("€x".as_bytes()), (0x20AC, 3));
        assert_eq!(decode_char("😀".as_bytes()), (0x1F600, 4));
        // A truncated sequence, a lone continuation byte, an overlong form
        // and an encoded surrogate each read as one replacement byte.
        assert_eq!(decode_char(&"€".as_bytes()[..2]), (REPLACEMENT, 1));
        assert_eq!(decode_char(&[0x80]), (REPLACEMENT, 1));
        assert_eq!(decode_char(&[0xC0, 0x80]), (REPLACEMENT, 1));
        assert_eq!(decode_char(&[0xED, 0xA0, 0x80]), (REPLACEMENT, 1));
        assert_eq!(decode_char(&[0xF4, 0x90, 0x80, 0x80]), (REPLACEMENT, 1));
    }

    #[test]
    fn counts_stray_bytes_as_characters() {
        assert_eq!(char_count("héllo".as_bytes()), 5);
        assert_eq!(char_count(&"héllo".as_bytes()[..2]), 2);
        assert_eq!(char_count(b"\xE2\x82"), 2);
        assert_eq!(char_count(b"a\xF0\x9F\x98\x80\xF0\x9F\x98"), 5);
    }

    #[test]
    fn encodes_non_scalars_as_replacement() {
        let mut b = Vec::new();
        push_char(&mut b, 0xD800);
        push_char(&mut b, -1);
        push_char(&mut b, 0x11_0000);
        push_char(&mut b, 0x41);
        assert_eq!(b, "\u{FFFD}\u{FFFD}\u{FFFD}A".as_bytes());
        assert!(is_scalar(0x10_FFFF) && is_scalar(0) && !is_scalar(0xDFFF) && !is_scalar(-5));
    }
}
