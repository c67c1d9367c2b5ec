//! Recorded results of `escape` and `make`, taken from the implementation that preceded the
//! current one. Each row of `testdata/dataurl.tsv` is the input in hex, the compression the
//! config already sets (`-` for none), then the escaped text, the chosen URL and the compression
//! value to set (`-` for none).

use super::{escape, make};

fn decode_hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Every byte value alone, in pairs around letters, all 256 at once; typical config texts
/// (scripts, units, JSON, YAML, non-ASCII) short and repeated, so that each of the three forms
/// wins somewhere; each under no compression, an empty one and `gzip`.
#[test]
fn dataurl_table() {
    let mut rows = 0;
    for line in include_str!("../testdata/dataurl.tsv").lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let input = decode_hex(cols[0]);
        let current = (cols[1] != "-").then_some(cols[1]);
        assert_eq!(escape(&input), cols[2], "escape {:02x?}", input);
        let (url, compression) = make(&input, current);
        assert_eq!(url, cols[3], "make {:02x?} {current:?}", input);
        assert_eq!(compression.unwrap_or("-"), cols[4], "make {:02x?} {current:?}", input);
        rows += 1;
    }
    assert!(rows > 800, "{rows}");
}
