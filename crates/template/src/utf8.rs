//! Go's `unicode/utf8` rules over raw bytes.
//!
//! Go strings are byte strings: `slice` and `index` can cut a multi-byte rune
//! in half, and Go's formatting then treats each stray byte as one
//! `RuneError`. These helpers reproduce exactly that, so widths, precisions
//! and `%q` escapes agree with Go on any bytes. They deliberately do no
//! validation or repair of their own.

/// The replacement character Go substitutes for invalid encodings.
pub(crate) const RUNE_ERROR: u32 = 0xFFFD;
/// Runes below this value are a single byte.
pub(crate) const RUNE_SELF: u32 = 0x80;
/// The largest valid Unicode code point.
pub(crate) const MAX_RUNE: u32 = 0x10_FFFF;

/// Decodes the first rune of `b` as `utf8.DecodeRune` does: `(RUNE_ERROR, 1)`
/// for an invalid or truncated encoding and `(RUNE_ERROR, 0)` for empty input.
pub(crate) fn decode_rune(b: &[u8]) -> (u32, usize) {
    let Some(&b0) = b.first() else {
        return (RUNE_ERROR, 0);
    };
    if u32::from(b0) < RUNE_SELF {
        return (u32::from(b0), 1);
    }
    // The accepted range of the second byte excludes overlong forms,
    // surrogates and code points above U+10FFFF, as Go's acceptRanges do.
    let (size, lo, hi) = match b0 {
        0xC2..=0xDF => (2, 0x80, 0xBF),
        0xE0 => (3, 0xA0, 0xBF),
        0xE1..=0xEC | 0xEE..=0xEF => (3, 0x80, 0xBF),
        0xED => (3, 0x80, 0x9F),
        0xF0 => (4, 0x90, 0xBF),
        0xF1..=0xF3 => (4, 0x80, 0xBF),
        0xF4 => (4, 0x80, 0x8F),
        _ => return (RUNE_ERROR, 1),
    };
    if b.len() < size {
        return (RUNE_ERROR, 1);
    }
    let b1 = b[1];
    if b1 < lo || b1 > hi {
        return (RUNE_ERROR, 1);
    }
    if size == 2 {
        return ((u32::from(b0 & 0x1F) << 6) | u32::from(b1 & 0x3F), 2);
    }
    let b2 = b[2];
    if !(0x80..=0xBF).contains(&b2) {
        return (RUNE_ERROR, 1);
    }
    if size == 3 {
        let r = (u32::from(b0 & 0x0F) << 12) | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
        return (r, 3);
    }
    let b3 = b[3];
    if !(0x80..=0xBF).contains(&b3) {
        return (RUNE_ERROR, 1);
    }
    let r = (u32::from(b0 & 0x07) << 18)
        | (u32::from(b1 & 0x3F) << 12)
        | (u32::from(b2 & 0x3F) << 6)
        | u32::from(b3 & 0x3F);
    (r, 4)
}

/// Counts runes as `utf8.RuneCount` does: every invalid byte counts as one.
pub(crate) fn rune_count(mut b: &[u8]) -> usize {
    let mut n = 0;
    while !b.is_empty() {
        let (_, w) = decode_rune(b);
        b = &b[w..];
        n += 1;
    }
    n
}

/// Reports whether `r` is a Unicode scalar value (`utf8.ValidRune`).
pub(crate) fn valid_rune(r: i64) -> bool {
    (0..0xD800).contains(&r) || (0xE000..=i64::from(MAX_RUNE)).contains(&r)
}

/// Appends the UTF-8 encoding of `r`, writing `RUNE_ERROR` for anything that
/// is not a valid scalar value, like `utf8.EncodeRune`.
pub(crate) fn push_rune(buf: &mut Vec<u8>, r: i64) {
    let c = if valid_rune(r) {
        u32::try_from(r).ok().and_then(char::from_u32)
    } else {
        None
    }
    .unwrap_or('\u{FFFD}');
    let mut tmp = [0u8; 4];
    buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_go() {
        assert_eq!(decode_rune(b""), (RUNE_ERROR, 0));
        assert_eq!(decode_rune(b"a"), (u32::from(b'a'), 1));
        assert_eq!(decode_rune("é".as_bytes()), (0xE9, 2));
        assert_eq!(decode_rune("€".as_bytes()), (0x20AC, 3));
        assert_eq!(decode_rune("😀".as_bytes()), (0x1F600, 4));
        // A truncated sequence, a lone continuation byte, an overlong form
        // and an encoded surrogate are all one RuneError byte.
        assert_eq!(decode_rune(&"€".as_bytes()[..2]), (RUNE_ERROR, 1));
        assert_eq!(decode_rune(&[0x80]), (RUNE_ERROR, 1));
        assert_eq!(decode_rune(&[0xC0, 0x80]), (RUNE_ERROR, 1));
        assert_eq!(decode_rune(&[0xED, 0xA0, 0x80]), (RUNE_ERROR, 1));
    }

    #[test]
    fn counts_invalid_bytes_as_runes() {
        assert_eq!(rune_count("héllo".as_bytes()), 5);
        assert_eq!(rune_count(&"héllo".as_bytes()[..2]), 2);
    }

    #[test]
    fn encodes_invalid_runes_as_replacement() {
        let mut b = Vec::new();
        push_rune(&mut b, 0xD800);
        push_rune(&mut b, -1);
        push_rune(&mut b, 0x41);
        assert_eq!(b, "\u{FFFD}\u{FFFD}A".as_bytes());
    }
}
