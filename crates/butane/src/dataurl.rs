//! Data URLs for inline contents, chosen as butane's `MakeDataURL` chooses:
//! the percent-escaped form (`data:,hello%20world`), the base64 form
//! (`data:;base64,...`) when it is shorter, and, when the config sets no
//! compression of its own, the gzipped base64 form when it is shorter still
//! counting the `"gzip"` it adds to `compression`. When the config sets no
//! compression, `compression` is set to `""` explicitly, so that a child
//! config never inherits a parent's.
//!
//! One known difference: butane compresses with Go's `compress/flate`
//! (BestCompression); kindling uses miniz_oxide at level 9. Both decompress
//! to the same bytes, but the gzip streams (and so the URL text, and in rare
//! cases the choice of form) can differ from what butane prints.

use miniz_oxide::deflate::core::{CompressorOxide, TDEFLFlush, TDEFLStatus, compress};
use std::fmt::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Percent-encodes `data` for the text form of a data URL (RFC 2397 `data:,<text>`).
///
/// A byte stays as it is when it is an RFC 2396 §2.3 unreserved character: a letter, a digit,
/// or one of the marks `- _ . ! ~ * ' ( )`. Every other byte, reserved characters (`/ : ; = ,`
/// …) and non-ASCII bytes included, becomes `%` and two upper-case hex digits (RFC 3986 §2.1
/// recommends upper case). This is the set the recorded butane output keeps literal: RFC 3986
/// later counts `! * ' ( )` as sub-delimiters, but they are still left unescaped here.
pub fn escape(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 3);
    for &byte in data {
        if keeps_literal(byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn keeps_literal(byte: u8) -> bool {
    const MARKS: &[u8] = b"-_.!~*'()";
    byte.is_ascii_alphanumeric() || MARKS.contains(&byte)
}

/// The source URL and the compression value to set (if any).
pub fn make(contents: &[u8], current_compression: Option<&str>) -> (String, Option<&'static str>) {
    let unset = current_compression.is_none_or(str::is_empty);
    let mut compression = unset.then_some("");
    let mut uri = format!("data:,{}", escape(contents));
    let b64 = format!("data:;base64,{}", STANDARD.encode(contents));
    if b64.len() < uri.len() {
        uri = b64;
    }
    // A gzip member is at least 20 bytes (header, an empty block, trailer):
    // when even that cannot beat the current form, do not compress.
    if unset && base64_len(20) + "data:;base64,".len() + "gzip".len() < uri.len() {
        let gz = format!("data:;base64,{}", STANDARD.encode(gzip(contents)));
        if gz.len() + "gzip".len() < uri.len() {
            uri = gz;
            compression = Some("gzip");
        }
    }
    (uri, compression)
}

fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

thread_local! {
    /// One compressor per thread, reset between uses: setting up level 9's
    /// tables costs more than compressing a config file. miniz_oxide is
    /// called directly, not through flate2, because flate2 switches to
    /// another backend (with other output bytes) when any crate in the
    /// build enables it, and pgp enables zlib-rs: the answer must not
    /// depend on what else is linked.
    static DEFLATE: std::cell::RefCell<Box<CompressorOxide>> = std::cell::RefCell::new({
        let mut c = Box::<CompressorOxide>::default();
        c.set_format_and_level(miniz_oxide::DataFormat::Raw, 9);
        c
    });
}

/// A gzip member with the header Go's gzip.Writer writes at BestCompression
/// (no name, mtime 0, XFL 2, OS 255).
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255];
    let deflated = DEFLATE.with(|c| {
        let mut c = c.borrow_mut();
        c.reset();
        let mut buf = vec![0u8; data.len() / 2 + 64];
        let (mut read, mut written) = (0, 0);
        loop {
            let (status, r, w) = compress(&mut c, &data[read..], &mut buf[written..], TDEFLFlush::Finish);
            read += r;
            written += w;
            match status {
                TDEFLStatus::Done => {
                    buf.truncate(written);
                    break buf;
                }
                TDEFLStatus::Okay => {
                    let grow = buf.len().max(64);
                    buf.resize(buf.len() + grow, 0);
                }
                _ => break Vec::new(),
            }
        }
    });
    out.extend(deflated);
    let mut crc = crc32fast::Hasher::new();
    crc.update(data);
    out.extend(crc.finalize().to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn short_text_is_escaped() {
        assert_eq!(make(b"hello world", None), ("data:,hello%20world".into(), Some("")));
        assert_eq!(escape(b"a-b_c.d!e~f*g'h(i)j/k:l\n"), "a-b_c.d!e~f*g'h(i)j%2Fk%3Al%0A");
    }

    #[test]
    fn binary_is_base64_and_repetitive_text_gzipped() {
        assert_eq!(make(&[0xff; 3], None).0, "data:,%FF%FF%FF", "shorter escaped");
        let (url, c) = make(&[0xff; 6], None);
        assert_eq!((url.as_str(), c), ("data:;base64,////////", Some("")));
        let text = "line of a config file\n".repeat(50);
        let (url, c) = make(text.as_bytes(), None);
        assert_eq!(c, Some("gzip"));
        let gz = STANDARD.decode(url.strip_prefix("data:;base64,").unwrap()).unwrap();
        let mut back = String::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut back).unwrap();
        assert_eq!(back, text);
    }

    #[test]
    fn compression_given_by_the_config_is_kept() {
        let text = "x".repeat(500);
        let (url, c) = make(text.as_bytes(), Some("gzip"));
        assert_eq!(c, None, "left as the config says");
        assert!(url.starts_with("data:,xxx"));
    }
}

#[cfg(test)]
#[path = "dataurl/recorded.rs"]
mod recorded;
