//! Recorded answers of `parse_http_time`, kept as the behaviour to hold. Each row of
//! `testdata/httptime.tsv` is a header value in hex and the instant it names in whole Unix
//! seconds (negative before 1970), or `-` where it is not a date. The inputs cover the three
//! formats with every weekday and month name in several cases, runs of spaces and tabs, every
//! truncation, one- and two-digit fields, leap days and out-of-range fields, two-digit years,
//! zone names and offsets, fractions of a second, other date formats and non-ASCII text; the
//! answers agree with Go 1.19's `http.ParseTime` run as a black box with `TZ=UTC`.

use std::time::UNIX_EPOCH;

use super::parse_http_time;
use crate::sniff::decode_hex;

fn answer(value: &str) -> String {
    match parse_http_time(value) {
        None => "-".to_string(),
        Some(t) => match t.duration_since(UNIX_EPOCH) {
            Ok(after) => after.as_secs().to_string(),
            Err(before) => format!("-{}", before.duration().as_secs()),
        },
    }
}

#[test]
fn recorded_table() {
    let mut rows = 0;
    let mut wrong = Vec::new();
    for line in include_str!("../testdata/httptime.tsv").lines() {
        let (hex, want) = line.split_once('\t').expect("two columns");
        let value = String::from_utf8(decode_hex(hex)).expect("UTF-8 input");
        let got = answer(&value);
        if got != want {
            wrong.push(format!("{value:?}: got {got}, want {want}"));
        }
        rows += 1;
    }
    assert_eq!(rows, 1398);
    assert!(wrong.is_empty(), "{} rows differ:\n{}", wrong.len(), wrong.join("\n"));
}
