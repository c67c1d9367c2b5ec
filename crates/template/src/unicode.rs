//! Go's `unicode.IsPrint`, `unicode.IsLetter` and `unicode.IsDigit`.
//!
//! Rust's `char` predicates follow different Unicode properties (for example
//! `is_alphabetic` includes letter numbers), so the classes are looked up in
//! tables generated from Go itself. Nothing here normalizes or case-folds.

use crate::unicode_tables::{DIGIT, LETTER, PRINT};

fn in_table(table: &[(u32, u32)], r: u32) -> bool {
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < r {
                std::cmp::Ordering::Less
            } else if lo > r {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// `unicode.IsPrint` (and `strconv.IsPrint`, which is the same predicate).
pub(crate) fn is_print(r: u32) -> bool {
    if r < 0x80 {
        return (0x20..0x7F).contains(&r);
    }
    in_table(PRINT, r)
}

/// `unicode.IsLetter`.
pub(crate) fn is_letter(r: u32) -> bool {
    if r < 0x80 {
        let b = r as u8;
        return b.is_ascii_alphabetic();
    }
    in_table(LETTER, r)
}

/// `unicode.IsDigit`.
pub(crate) fn is_digit(r: u32) -> bool {
    if r < 0x80 {
        return (u32::from(b'0')..=u32::from(b'9')).contains(&r);
    }
    in_table(DIGIT, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert!(is_print(u32::from(' ')));
        assert!(!is_print(0x7F));
        assert!(!is_print(0xA0)); // no-break space is not printable in Go
        assert!(is_print(0xE9));
        assert!(!is_print(0xFEFF));
        assert!(is_letter(0xE9));
        assert!(!is_letter(0x2160)); // ROMAN NUMERAL ONE is Nl, not a letter
        assert!(is_digit(0x0663)); // ARABIC-INDIC DIGIT THREE
        assert!(!is_digit(0x00B2)); // SUPERSCRIPT TWO is No
    }
}
